//! `kaifang bench-scan`: the de-sensitisation scanner's throughput on a synthetic table, beside
//! a plain read and a SHA-256 of the same file in the same run (the build reads every
//! resource file for its checksum anyway), so the figures are ratios on any machine.

use std::io::{Read, Write};
use std::path::Path;
use std::time::Instant;

use crate::{EXIT_FAILED, EXIT_OK};

/// Writes a CSV of about `megabytes` MB under `dir` and times three passes over it, each
/// `rounds` times, printing MB/s and ratios.
pub fn run(megabytes: usize, rounds: usize, dir: &Path) -> u8 {
    let path = dir.join("bench-scan.csv");
    let planted = match write_table(&path, megabytes) {
        Ok(rows) => rows / 10_000,
        Err(err) => {
            eprintln!("error: cannot write {}: {err}", path.display());
            return EXIT_FAILED;
        }
    };
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let mb = bytes as f64 / 1e6;
    println!(
        "table: {} ({mb:.0} MB), {rounds} rounds each, best round",
        path.display()
    );
    let divisions = generator::divisions::Divisions::guangxi();
    let is_division = |code: &str| !code.starts_with("45") || divisions.get(code).is_some();
    let public: Vec<String> = Vec::new();
    let rules = pii::Rules {
        is_division: &is_division,
        public_columns: &public,
    };
    let best = |pass: &dyn Fn() -> std::io::Result<u64>| -> std::io::Result<f64> {
        let mut best = f64::MAX;
        for _ in 0..rounds {
            let started = Instant::now();
            pass()?;
            best = best.min(started.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    let read = || -> std::io::Result<u64> {
        let mut file = std::fs::File::open(&path)?;
        let mut buffer = vec![0u8; 1 << 20];
        let mut sum = 0u64;
        loop {
            let n = file.read(&mut buffer)?;
            if n == 0 {
                return Ok(sum);
            }
            sum = sum.wrapping_add(u64::from(buffer[n - 1]));
        }
    };
    let hash = || generator::digest::hash_file(&path).map(|(size, _)| size);
    let scan = || {
        pii::scan_file(&path, pii::Format::Delimited(b','), &rules, 10)
            .map(|r| r.total)
            .map_err(std::io::Error::other)
    };
    let found = scan().unwrap_or(0);
    let timed = (|| Ok::<_, std::io::Error>((best(&read)?, best(&hash)?, best(&scan)?)))();
    let (read, hash, scan) = match timed {
        Ok(t) => t,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    println!("read (cached):   {:>8.0} MB/s", mb / read);
    println!("SHA-256:         {:>8.0} MB/s", mb / hash);
    println!(
        "scan:            {:>8.0} MB/s  ({:.2}x the read time, {:.2}x the SHA-256 time; {found} of {planted} planted numbers found)",
        mb / scan,
        scan / read,
        scan / hash
    );
    let _ = std::fs::remove_file(&path);
    EXIT_OK
}

/// A table like a department's: names, masked IDs, masked and business telephones, amounts,
/// dates, order numbers, and one unmasked mobile number per 10,000 rows.
/// Returns the rows written.
fn write_table(path: &Path, megabytes: usize) -> std::io::Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(
        out,
        "序号,单位名称,负责人证件,联系电话,办公电话,金额,日期,订单号,备注"
    )?;
    let target = megabytes as u64 * 1_000_000;
    let mut written = 0u64;
    let mut row = 0u64;
    while written < target {
        row += 1;
        let mobile = if row.is_multiple_of(10_000) {
            format!("139{:08}", row % 100_000_000)
        } else {
            format!("139****{:04}", row % 10_000)
        };
        let line = format!(
            "{row},南宁市第{row}号便民服务点,4501**********{:03}X,{mobile},0771-{:07},{}.{:02},2024-{:02}-{:02},2024{:014},按规定公开\n",
            row % 1000,
            row % 10_000_000,
            row * 37 % 100_000,
            row % 100,
            row % 12 + 1,
            row % 28 + 1,
            row
        );
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
    }
    out.flush()?;
    Ok(row)
}
