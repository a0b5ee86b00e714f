//! Audit: after everything is written, scan every output file for the ids and titles of
//! withheld datasets. A hit means a leak, and the build fails.

use std::path::Path;

use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use serde::Serialize;

use crate::policy::Withheld;

/// One leaked mention of a withheld dataset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leak {
    /// Output file, relative to the output root.
    pub file: String,
    /// The withheld dataset's id.
    pub dataset: String,
    /// What was found: its id or its title.
    pub found: String,
}

/// Scans every file under `root` for withheld ids (as whole slugs) and titles.
///
/// Titles that a public dataset also carries are skipped: they say nothing about the withheld one.
pub fn scan(
    root: &Path,
    withheld: &[Withheld],
    public_titles: &[&str],
) -> std::io::Result<Vec<Leak>> {
    let mut patterns: Vec<(String, usize, bool)> = Vec::new(); // (text, withheld index, is_id)
    for (i, w) in withheld.iter().enumerate() {
        patterns.push((w.id.clone(), i, true));
        if !w.title.is_empty() && !public_titles.contains(&w.title.as_str()) {
            patterns.push((w.title.clone(), i, false));
        }
    }
    if patterns.is_empty() {
        return Ok(Vec::new());
    }
    let matcher =
        AhoCorasick::new(patterns.iter().map(|p| p.0.as_bytes())).map_err(std::io::Error::other)?;
    let files: Vec<walkdir::DirEntry> = walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .collect();
    let leaks: Vec<Vec<Leak>> = files
        .par_iter()
        .map(|entry| -> std::io::Result<Vec<Leak>> {
            let bytes = std::fs::read(entry.path())?;
            let mut found = Vec::new();
            for m in matcher.find_overlapping_iter(&bytes) {
                let (text, index, is_id) = &patterns[m.pattern().as_usize()];
                if *is_id && !whole_slug(&bytes, m.start(), m.end()) {
                    continue;
                }
                found.push(Leak {
                    file: crate::load::relative(root, entry.path()),
                    dataset: withheld[*index].id.clone(),
                    found: text.clone(),
                });
            }
            found.dedup();
            Ok(found)
        })
        .collect::<std::io::Result<_>>()?;
    let mut leaks: Vec<Leak> = leaks.into_iter().flatten().collect();
    leaks.sort_by(|a, b| (&a.file, &a.dataset).cmp(&(&b.file, &b.dataset)));
    leaks.dedup();
    Ok(leaks)
}

/// Whether the match is not part of a longer slug (so `bus` does not match `bus-stops`).
fn whole_slug(bytes: &[u8], start: usize, end: usize) -> bool {
    let slug_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let before = start == 0 || !slug_byte(bytes[start - 1]);
    let after = end == bytes.len() || !slug_byte(bytes[end]);
    before && after
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::WithholdReason;

    #[test]
    fn finds_ids_as_whole_slugs_and_titles() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.html"),
            "<a href=\"datasets/secret-1/\">x</a>",
        )
        .unwrap();
        std::fs::write(dir.path().join("b.html"), "secret-12 is public").unwrap();
        std::fs::write(dir.path().join("c.html"), "标题：涉密名单").unwrap();
        let withheld = vec![Withheld {
            id: "secret-1".into(),
            title: "涉密名单".into(),
            record_path: "x.yaml".into(),
            reason: WithholdReason::NotOpen,
        }];
        let leaks = scan(dir.path(), &withheld, &[]).unwrap();
        let files: Vec<&str> = leaks.iter().map(|l| l.file.as_str()).collect();
        assert_eq!(files, vec!["a.html", "c.html"]);
        assert!(scan(dir.path(), &withheld, &["涉密名单"]).unwrap().len() == 1);
    }
}
