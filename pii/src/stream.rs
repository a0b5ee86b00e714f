//! The byte-stream scanner of text formats: one pass, fixed memory, tracking lines, CSV
//! fields (and their header names) or JSON keys so that each finding is placed.

use std::io::Read;

use crate::numbers::{classify, mask};
use crate::{Finding, Format, Place, Report, Rules};

/// Bytes read at a time.
const CHUNK: usize = 1 << 20;
/// Digits kept of a run; a longer run is no number of interest.
const LONGEST: usize = 19;
/// Bytes of a header cell or JSON key kept.
const NAME_BYTES: usize = 256;
/// Header cells kept.
const MAX_COLUMNS: usize = 4096;

/// Scans `reader` as `format`, keeping the first `limit` findings.
pub(crate) fn scan(
    mut reader: impl Read,
    format: Format,
    rules: &Rules<'_>,
    limit: usize,
) -> std::io::Result<Report> {
    let mut scanner = Scanner::new(format, rules, limit);
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        scanner.feed(&buffer[..n]);
    }
    Ok(scanner.finish())
}

/// Scans the text of one spreadsheet cell, placed at `place`, into `report`.
pub(crate) fn scan_cell(
    text: &str,
    place: &Place,
    rules: &Rules<'_>,
    limit: usize,
    report: &mut Report,
) {
    let mut scanner = Scanner::new(Format::Text, rules, limit);
    scanner.feed(text.as_bytes());
    let found = scanner.finish();
    let shown = found.findings.len() as u64;
    for finding in found.findings {
        report.add(
            Finding {
                place: place.clone(),
                ..finding
            },
            limit,
        );
    }
    report.total += found.total - shown;
}

/// Per byte, whether it can be passed over when no number is being read: not a digit, a line
/// break, or a byte of the format's structure.
fn quiet_bytes(format: Format) -> [bool; 256] {
    let mut quiet = [true; 256];
    for b in b'0'..=b'9' {
        quiet[usize::from(b)] = false;
    }
    quiet[usize::from(b'\n')] = false;
    quiet[usize::from(b'\r')] = false;
    let structure: &[u8] = match format {
        Format::Delimited(delimiter) => &[b'"', delimiter],
        Format::Json => b"\"\\:{}",
        Format::Text | Format::Xlsx => &[],
    };
    for &b in structure {
        quiet[usize::from(b)] = false;
    }
    quiet
}

/// The characters in UTF-8 `bytes`: the bytes that start one.
fn characters(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count() as u64
}

struct Scanner<'r, 'a> {
    format: Format,
    rules: &'r Rules<'a>,
    limit: usize,
    report: Report,
    line: u64,
    /// Characters before the current byte on this line.
    column: u64,
    /// Delimited: the current field, from 0, and whether inside quotes.
    field: u64,
    quoted: bool,
    /// Delimited: at the start of a field; a quote was read inside a quoted field (it ends
    /// the field's quoting unless another quote follows).
    field_start: bool,
    closing: bool,
    /// The byte before was a CR.
    after_cr: bool,
    /// Delimited: the header line's cells, while on line 1, then kept.
    header: Vec<String>,
    cell: Vec<u8>,
    /// JSON: inside a string, after a backslash, the string so far, the last string read
    /// (a key if a colon follows), and the key of the value being read.
    in_string: bool,
    escaped: bool,
    string: Vec<u8>,
    pending_key: Option<Vec<u8>>,
    key: Option<Vec<u8>>,
    /// The digit run being read: its digits (up to [`LONGEST`] + 1, then it only counts), its
    /// length, where it started, and whether a possible check character `X` was read.
    run: Vec<u8>,
    run_len: usize,
    run_column: u64,
    run_x: bool,
}

impl<'r, 'a> Scanner<'r, 'a> {
    fn new(format: Format, rules: &'r Rules<'a>, limit: usize) -> Self {
        Scanner {
            format,
            rules,
            limit,
            report: Report::default(),
            line: 1,
            column: 0,
            field: 0,
            quoted: false,
            field_start: true,
            closing: false,
            after_cr: false,
            header: Vec::new(),
            cell: Vec::new(),
            in_string: false,
            escaped: false,
            string: Vec::new(),
            pending_key: None,
            key: None,
            run: Vec::with_capacity(LONGEST + 2),
            run_len: 0,
            run_column: 0,
            run_x: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.report.bytes += bytes.len() as u64;
        let quiet = quiet_bytes(self.format);
        let mut i = 0;
        while i < bytes.len() {
            // Runs of bytes that neither touch a number nor the structure are only counted.
            if self.run_len == 0 && !self.reading_names() {
                let start = i;
                i = bytes[i..]
                    .iter()
                    .position(|&b| !quiet[usize::from(b)])
                    .map_or(bytes.len(), |n| i + n);
                if i > start {
                    self.column += characters(&bytes[start..i]);
                    self.field_start = false;
                    self.after_cr = false;
                }
                if i == bytes.len() {
                    break;
                }
            }
            // A run of digits at once: digits change no structure, only names being read.
            if bytes[i].is_ascii_digit() && !self.reading_names() {
                if self.run_x {
                    // `…X` then a digit: not an ID number; the digits start a new run.
                    self.discard_run();
                }
                if self.run_len == 0 {
                    self.run_column = self.column;
                }
                let start = i;
                i = bytes[i..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(bytes.len(), |n| i + n);
                let digits = &bytes[start..i];
                self.field_start = false;
                self.after_cr = false;
                let room = (LONGEST + 1).saturating_sub(self.run.len());
                self.run
                    .extend_from_slice(&digits[..digits.len().min(room)]);
                self.run_len += digits.len();
                self.column += digits.len() as u64;
                continue;
            }
            self.byte(bytes[i]);
            i += 1;
        }
    }

    /// Whether every byte is needed for a name: the header line of a table, or a JSON string
    /// that may be a key.
    fn reading_names(&self) -> bool {
        match self.format {
            Format::Delimited(_) => self.line == 1 || self.closing,
            Format::Json => {
                (self.in_string && self.string.len() < NAME_BYTES) || self.pending_key.is_some()
            }
            Format::Text | Format::Xlsx => false,
        }
    }

    fn byte(&mut self, b: u8) {
        if b.is_ascii_digit() {
            if self.run_x {
                // `…X` then a digit: not an ID number, and the digits after start a new run.
                self.discard_run();
            }
            if self.run_len == 0 {
                self.run_column = self.column;
            }
            self.run_len += 1;
            if self.run.len() <= LONGEST {
                self.run.push(b);
            }
        } else if self.run_len > 0 {
            if self.run_len == 17 && !self.run_x && matches!(b, b'X' | b'x') {
                self.run_x = true;
                self.run.push(b);
            } else if self.run_x && b.is_ascii_alphabetic() {
                self.discard_run();
            } else {
                self.end_run();
            }
        }
        // A line ends at LF, CR LF, or a lone CR (old Mac spreadsheets): the LF of a CR LF
        // is passed over.
        let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
        if b == b'\n' && after_cr {
            return;
        }
        let b = if b == b'\r' { b'\n' } else { b };
        self.track(b);
        // Characters, not bytes: count the first byte of each UTF-8 sequence.
        if b & 0xC0 != 0x80 {
            self.column += 1;
        }
        if b == b'\n' {
            self.line += 1;
            self.column = 0;
        }
    }

    /// Follows the structure: CSV fields and header, JSON strings and keys.
    fn track(&mut self, b: u8) {
        match self.format {
            Format::Delimited(delimiter) => {
                // RFC 4180 quoting: a quote opens a quoted field only at the field's start, and
                // inside one, `""` is a quote. Tab-separated files have no quoting.
                if std::mem::take(&mut self.closing) {
                    if b == b'"' {
                        return;
                    }
                    self.quoted = false;
                }
                if b == b'"' && delimiter != b'\t' {
                    if self.quoted {
                        self.closing = true;
                        return;
                    }
                    if self.field_start {
                        self.quoted = true;
                        self.field_start = false;
                        return;
                    }
                }
                if !self.quoted && (b == delimiter || b == b'\n') {
                    if self.line == 1 {
                        self.push_header_cell();
                    }
                    self.field = if b == b'\n' { 0 } else { self.field + 1 };
                    self.field_start = true;
                    return;
                }
                self.field_start = false;
                if self.line == 1 && self.cell.len() < NAME_BYTES {
                    self.cell.push(b);
                }
            }
            Format::Json => {
                if self.in_string {
                    if self.escaped {
                        self.escaped = false;
                    } else if b == b'\\' {
                        self.escaped = true;
                    } else if b == b'"' {
                        self.in_string = false;
                        self.pending_key = Some(std::mem::take(&mut self.string));
                    } else if self.string.len() < NAME_BYTES {
                        self.string.push(b);
                    }
                } else if b == b'"' {
                    self.in_string = true;
                    self.string.clear();
                } else if b == b':' {
                    if let Some(key) = self.pending_key.take() {
                        self.key = Some(key);
                    }
                } else if !b.is_ascii_whitespace() {
                    self.pending_key = None;
                    if matches!(b, b'{' | b'}') {
                        self.key = None;
                    }
                }
            }
            Format::Text | Format::Xlsx => {}
        }
    }

    fn push_header_cell(&mut self) {
        let mut cell = String::from_utf8_lossy(&self.cell).into_owned();
        self.cell.clear();
        if self.header.len() >= MAX_COLUMNS {
            return;
        }
        if self.header.is_empty() {
            cell = cell.trim_start_matches('\u{feff}').to_string();
        }
        self.header
            .push(cell.trim().trim_matches('"').trim().to_string());
    }

    fn discard_run(&mut self) {
        self.run.clear();
        self.run_len = 0;
        self.run_x = false;
    }

    fn end_run(&mut self) {
        let run_len = self.run_len + usize::from(self.run_x);
        // Most runs (amounts, dates, counts) are too short for any number of interest.
        if run_len >= 11
            && run_len == self.run.len()
            && let Some(kind) = classify(&self.run, self.rules.is_division)
        {
            let (column, column_name) = match self.format {
                Format::Delimited(_) => (
                    self.field + 1,
                    self.header.get(self.field as usize).cloned(),
                ),
                Format::Json => (
                    self.run_column + 1,
                    self.key
                        .as_ref()
                        .map(|k| String::from_utf8_lossy(k).into_owned()),
                ),
                Format::Text | Format::Xlsx => (self.run_column + 1, None),
            };
            let public = column_name
                .as_ref()
                .is_some_and(|name| self.rules.public_columns.iter().any(|c| c == name));
            // A header line is not data.
            let in_header = matches!(self.format, Format::Delimited(_)) && self.line == 1;
            if !public && !in_header {
                let finding = Finding {
                    kind,
                    place: Place {
                        sheet: None,
                        line: self.line,
                        column,
                        column_name,
                    },
                    masked: mask(kind, &self.run),
                };
                self.report.add(finding, self.limit);
            }
        }
        self.discard_run();
    }

    fn finish(mut self) -> Report {
        if self.run_len > 0 {
            self.end_run();
        }
        self.report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;
    use crate::numbers::tests::with_check;

    fn guangxi(code: &str) -> bool {
        ["450102", "450103", "450203"].contains(&code)
    }

    fn scan_text(text: &str, format: Format, public: &[&str]) -> Report {
        let public: Vec<String> = public.iter().map(|s| s.to_string()).collect();
        let rules = Rules {
            is_division: &guangxi,
            public_columns: &public,
        };
        // Fed in small pieces: runs and names split across reads are still found.
        let mut scanner = Scanner::new(format, &rules, 100);
        for piece in text.as_bytes().chunks(3) {
            scanner.feed(piece);
        }
        scanner.finish()
    }

    fn places(report: &Report) -> Vec<(Kind, u64, u64, Option<&str>, &str)> {
        report
            .findings
            .iter()
            .map(|f| {
                (
                    f.kind,
                    f.place.line,
                    f.place.column,
                    f.place.column_name.as_deref(),
                    f.masked.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn csv_findings_name_row_and_column() {
        let id = with_check("45010219900307123");
        let csv = format!(
            "\u{feff}姓名,身份证号,\"联系,电话\",备注\n张三,{id},13812345678,无\n李四,4501**********1234,138****5678,订单202412010000000011\n"
        );
        let report = scan_text(&csv, Format::Delimited(b','), &[]);
        assert_eq!(
            places(&report),
            vec![
                (
                    Kind::ResidentId,
                    2,
                    2,
                    Some("身份证号"),
                    mask(Kind::ResidentId, id.as_bytes()).as_str()
                ),
                (Kind::Mobile, 2, 3, Some("联系,电话"), "138****5678"),
            ]
        );
        // A column declared public is not reported.
        let report = scan_text(&csv, Format::Delimited(b','), &["联系,电话"]);
        assert_eq!(report.total, 1);
    }

    #[test]
    fn digit_boundaries_not_word_boundaries() {
        let id = with_check("45010319851201002");
        // Chinese characters around a number do not hide it; a longer digit run is no number.
        let text = format!("联系电话13812345678转\n证件{id}号\n流水号9{id}\n编号138123456789\n");
        let report = scan_text(&text, Format::Text, &[]);
        let found: Vec<(Kind, u64, u64)> = report
            .findings
            .iter()
            .map(|f| (f.kind, f.place.line, f.place.column))
            .collect();
        assert_eq!(found, vec![(Kind::Mobile, 1, 5), (Kind::ResidentId, 2, 3)]);
    }

    #[test]
    fn json_values_are_placed_under_their_keys() {
        let json = r#"[{"name": "王五", "phone": "13912345678", "office": "0771-1234567", "mobile_masked": "139****5678"},
 {"phone": 15012345678, "note": "x"}]"#;
        let report = scan_text(json, Format::Json, &[]);
        let found: Vec<(u64, Option<&str>)> = report
            .findings
            .iter()
            .map(|f| (f.place.line, f.place.column_name.as_deref()))
            .collect();
        assert_eq!(found, vec![(1, Some("phone")), (2, Some("phone"))]);
        assert_eq!(scan_text(json, Format::Json, &["phone"]).total, 0);
    }

    #[test]
    fn an_x_check_character_belongs_to_the_id_only_when_it_ends_it() {
        let id = (0..1000)
            .map(|n| with_check(&format!("45020319700101{n:03}")))
            .find(|id| id.ends_with('X'))
            .unwrap();
        assert_eq!(scan_text(&format!("{id}\n"), Format::Text, &[]).total, 1);
        assert_eq!(scan_text(&format!("a{id}b"), Format::Text, &[]).total, 0);
        assert_eq!(scan_text(&format!("{id}9"), Format::Text, &[]).total, 0);
        assert_eq!(
            scan_text(&id, Format::Text, &[]).total,
            1,
            "at the end of the file"
        );
    }

    #[test]
    fn quotes_and_line_ends_do_not_lose_the_columns() {
        // A stray quote inside a field is a character, not the start of quoting.
        let stray = "办公电话,手机\n0771\"1234567,13812345678\n0771-1234568,13912345678\n";
        let report = scan_text(stray, Format::Delimited(b','), &["办公电话"]);
        assert_eq!(report.total, 2, "{report:?}");
        assert_eq!(
            report.findings[0].place.column_name.as_deref(),
            Some("手机")
        );
        // Quoted fields with delimiters, doubled quotes and line breaks inside.
        let quoted = "备注,手机\n\"他说\"\"好, 13912345678\"\"\n下一行\",13812345678\n";
        let report = scan_text(quoted, Format::Delimited(b','), &["备注"]);
        assert_eq!(report.total, 1, "{report:?}");
        assert_eq!(
            (
                report.findings[0].place.line,
                report.findings[0].place.column
            ),
            (3, 2)
        );
        // Tab-separated files have no quoting.
        let tsv = "尺寸\t手机\n12\"\t13812345678\n";
        assert_eq!(scan_text(tsv, Format::Delimited(b'\t'), &["尺寸"]).total, 1);
        // Lone CR line ends, as old spreadsheets write them, and CR LF.
        for end in ["\r", "\r\n"] {
            let text = format!("name,phone{end}张三,13812345678{end}李四,13912345678{end}");
            let report = scan_text(&text, Format::Delimited(b','), &[]);
            let lines: Vec<u64> = report.findings.iter().map(|f| f.place.line).collect();
            assert_eq!(lines, [2, 3], "{end:?}");
        }
    }

    #[test]
    fn counts_beyond_the_limit() {
        let text = "13812345678\n".repeat(10);
        let public: Vec<String> = Vec::new();
        let rules = Rules {
            is_division: &guangxi,
            public_columns: &public,
        };
        let report = scan(text.as_bytes(), Format::Text, &rules, 3).unwrap();
        assert_eq!((report.findings.len(), report.total), (3, 10));
        assert_eq!(report.findings[2].place.line, 3);
    }
}
