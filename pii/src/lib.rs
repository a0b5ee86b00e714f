//! Finds unmasked personal data in data files before they are published (第十六条: data is
//! de-sensitised before it is mounted; 第三十五条(二)): 18-digit resident ID numbers that pass
//! the GB 11643 checksum and carry a real division code and birth date, 11-digit mobile
//! numbers, and bank card numbers that pass the Luhn check.
//!
//! Text formats (CSV, TSV, JSON, plain text) are scanned as a byte stream in fixed-size
//! chunks, so a file of any size takes the same little memory; spreadsheets (XLSX) are read
//! cell by cell. Numbers are found by digit boundaries only: Chinese characters and letters
//! next to a number do not hide it, and an ID number inside a longer run of digits is not an
//! ID number. Masked values (`4501**********123X`, `138****5678`) have no such run and pass.

mod numbers;
mod stream;
mod xlsx;

use std::path::Path;

pub use numbers::{Kind, classify, mask};

/// Where a finding is: the line (or spreadsheet row) and the column, by number and, when the
/// file names its columns, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The worksheet, in a spreadsheet.
    pub sheet: Option<String>,
    /// The line of a text file, or the row of a worksheet, from 1.
    pub line: u64,
    /// The field (CSV, TSV, worksheet) or the character column (JSON, text), from 1.
    pub column: u64,
    /// The column's name: the header cell of a table, or the key of a JSON value.
    pub column_name: Option<String>,
}

/// One unmasked value found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What it is.
    pub kind: Kind,
    /// Where it is.
    pub place: Place,
    /// The value, masked for messages (`4501**********123X`).
    pub masked: String,
}

/// How a file is laid out, which decides what a column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma- (or other byte-) separated values with a header line.
    Delimited(u8),
    /// JSON: a value's column is the key it sits under.
    Json,
    /// Plain text: columns are character positions.
    Text,
    /// An Excel workbook: every worksheet, the first row naming the columns.
    Xlsx,
}

impl Format {
    /// The format of a file with this extension (any case), when it is one the scanner reads.
    pub fn of_extension(extension: &str) -> Option<Format> {
        match extension.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Delimited(b',')),
            "tsv" | "tab" => Some(Format::Delimited(b'\t')),
            "json" | "geojson" | "jsonl" | "ndjson" => Some(Format::Json),
            "txt" => Some(Format::Text),
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

/// What counts as personal data, and what a record declared public.
pub struct Rules<'a> {
    /// Whether six digits are a real division code (the first six digits of an ID number).
    pub is_division: &'a (dyn Fn(&str) -> bool + Sync),
    /// Columns (header names or JSON keys) the record declares public on purpose, such as a
    /// business telephone: values there are not reported.
    pub public_columns: &'a [String],
}

/// The outcome of scanning one file.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    /// The first findings, in file order (at most the `limit` asked for).
    pub findings: Vec<Finding>,
    /// How many there were in all.
    pub total: u64,
    /// Bytes read.
    pub bytes: u64,
}

impl Report {
    fn add(&mut self, finding: Finding, limit: usize) {
        self.total += 1;
        if self.findings.len() < limit {
            self.findings.push(finding);
        }
    }
}

/// Why a file could not be scanned.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// It could not be read.
    #[error("cannot read the file: {0}")]
    Io(#[from] std::io::Error),
    /// A spreadsheet that does not open as one.
    #[error("cannot read the workbook: {0}")]
    Workbook(String),
}

/// Scans the file at `path`, keeping the first `limit` findings.
pub fn scan_file(
    path: &Path,
    format: Format,
    rules: &Rules<'_>,
    limit: usize,
) -> Result<Report, ScanError> {
    match format {
        Format::Xlsx => xlsx::scan(path, rules, limit),
        _ => Ok(scan_reader(
            std::fs::File::open(path)?,
            format,
            rules,
            limit,
        )?),
    }
}

/// Scans a text stream (any format but [`Format::Xlsx`], which is read as
/// [`Format::Text`] here), keeping the first `limit` findings.
pub fn scan_reader(
    reader: impl std::io::Read,
    format: Format,
    rules: &Rules<'_>,
    limit: usize,
) -> std::io::Result<Report> {
    stream::scan(reader, format, rules, limit)
}
