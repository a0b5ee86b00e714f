//! Excel workbooks, read cell by cell from each worksheet's XML (the sheet is never held
//! whole); the first row of a sheet names its columns.

use std::path::Path;

use calamine::{DataRef, Reader, Xlsx, open_workbook};

use crate::stream::scan_cell;
use crate::{Place, Report, Rules, ScanError};

pub(crate) fn scan(path: &Path, rules: &Rules<'_>, limit: usize) -> Result<Report, ScanError> {
    let bytes = std::fs::metadata(path)?.len();
    let mut workbook: Xlsx<_> =
        open_workbook(path).map_err(|e: calamine::XlsxError| ScanError::Workbook(e.to_string()))?;
    let mut report = Report {
        bytes,
        ..Report::default()
    };
    let workbook_error = |e: calamine::XlsxError| ScanError::Workbook(e.to_string());
    for sheet in workbook.sheet_names() {
        let mut cells = workbook
            .worksheet_cells_reader(&sheet)
            .map_err(workbook_error)?;
        let mut header: Vec<String> = Vec::new();
        while let Some(cell) = cells.next_cell().map_err(workbook_error)? {
            let (row, column) = cell.get_position();
            let Some(text) = text_of(cell.get_value()) else {
                continue;
            };
            if row == 0 {
                let column = column as usize;
                if header.len() <= column {
                    header.resize(column + 1, String::new());
                }
                header[column] = text.trim().to_string();
                continue;
            }
            let column_name = header
                .get(column as usize)
                .filter(|name| !name.is_empty())
                .cloned();
            if column_name
                .as_ref()
                .is_some_and(|name| rules.public_columns.contains(name))
            {
                continue;
            }
            let place = Place {
                sheet: Some(sheet.clone()),
                line: u64::from(row) + 1,
                column: u64::from(column) + 1,
                column_name,
            };
            scan_cell(&text, &place, rules, limit, &mut report);
        }
    }
    Ok(report)
}

/// A cell's text as a person reads it: numbers without a trailing `.0` (a mobile number
/// typed into a cell is stored as a number).
fn text_of(value: &DataRef<'_>) -> Option<String> {
    match value {
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(s.clone()),
        DataRef::SharedString(s) => Some(s.to_string()),
        DataRef::Int(n) => Some(n.to_string()),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e19 => Some(format!("{f:.0}")),
        DataRef::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numbers::tests::with_check;

    #[test]
    fn cells_of_every_sheet_are_scanned_and_placed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("book.xlsx");
        let id = with_check("45010219900307123");
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet().set_name("名单").unwrap();
        sheet.write(0, 0, "姓名").unwrap();
        sheet.write(0, 1, "证件号").unwrap();
        sheet.write(0, 2, "办公电话").unwrap();
        sheet.write(1, 0, "张三").unwrap();
        sheet.write(1, 1, id.as_str()).unwrap();
        // A number cell, as a spreadsheet stores a typed-in mobile number.
        sheet.write(1, 2, 13_812_345_678_f64).unwrap();
        let other = book.add_worksheet().set_name("附表").unwrap();
        other.write(0, 0, "联系人").unwrap();
        other.write(3, 0, "手机 15012345678").unwrap();
        book.save(&path).unwrap();

        let everything = |code: &str| code == "450102";
        let public = vec!["办公电话".to_string()];
        let rules = Rules {
            is_division: &everything,
            public_columns: &public,
        };
        let report = scan(&path, &rules, 10).unwrap();
        let found: Vec<String> = report
            .findings
            .iter()
            .map(|f| {
                format!(
                    "{:?} {} {}:{} {}",
                    f.kind,
                    f.place.sheet.as_deref().unwrap_or(""),
                    f.place.line,
                    f.place.column,
                    f.place.column_name.as_deref().unwrap_or("")
                )
            })
            .collect();
        assert_eq!(
            found,
            ["ResidentId 名单 2:2 证件号", "Mobile 附表 4:1 联系人"]
        );
        let none: Vec<String> = Vec::new();
        let strict = Rules {
            is_division: &everything,
            public_columns: &none,
        };
        assert_eq!(scan(&path, &strict, 10).unwrap().total, 3);
    }

    #[test]
    fn a_file_that_is_no_workbook_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.xlsx");
        std::fs::write(&path, "name,phone\n").unwrap();
        let none: Vec<String> = Vec::new();
        let rules = Rules {
            is_division: &|_: &str| true,
            public_columns: &none,
        };
        assert!(matches!(
            scan(&path, &rules, 10),
            Err(ScanError::Workbook(_))
        ));
    }
}
