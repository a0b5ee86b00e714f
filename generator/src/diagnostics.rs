//! Diagnostics: what is wrong with an input, where, and how to fix it.
//!
//! The library only collects them; turning them into text is the CLI's job. Each carries the
//! offending line's text so a report needs no second read of the file.

use serde::Serialize;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The record is rejected (or the build fails).
    Error,
    /// The record publishes, but something should be improved.
    Warning,
}

/// A position in a file: 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column, from 1, in characters.
    pub column: usize,
    /// How many characters the problem spans (at least 1).
    pub length: usize,
    /// The text of that line, without its line break.
    pub line_text: String,
}

impl Location {
    /// The location of `line`:`column` in `source`, spanning `length` characters.
    pub fn in_source(source: &str, line: usize, column: usize, length: usize) -> Location {
        let line_text = source
            .lines()
            .nth(line.saturating_sub(1))
            .unwrap_or("")
            .to_string();
        Location {
            line: line.max(1),
            column: column.max(1),
            length: length.max(1),
            line_text,
        }
    }
}

/// One finding about one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable machine-readable code, e.g. `unknown-key`.
    pub code: &'static str,
    /// The file, relative to the content folder where possible.
    pub file: String,
    /// Where in the file, when known.
    pub location: Option<Location>,
    /// What is wrong, in one line.
    pub message: String,
    /// A short label under the caret.
    pub label: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error.
    pub fn error(code: &'static str, file: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            file: file.into(),
            location: None,
            message: message.into(),
            label: String::new(),
            help: None,
        }
    }

    /// A new warning.
    pub fn warning(
        code: &'static str,
        file: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, file, message)
        }
    }

    /// Places the diagnostic.
    pub fn at(mut self, location: Option<Location>) -> Self {
        self.location = location;
        self
    }

    /// Sets the label shown under the caret.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Sets the fix.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Sort key that gives reports a stable order: by file, then position.
    pub fn sort_key(&self) -> (String, usize, usize) {
        let (line, column) = self
            .location
            .as_ref()
            .map_or((0, 0), |l| (l.line, l.column));
        (self.file.clone(), line, column)
    }
}

/// The value of `candidates` closest to `input`, if it is close enough to be a likely typo.
pub fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.trim();
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let score = if candidate.starts_with(input) || input.starts_with(candidate) {
            0.9 + strsim::normalized_levenshtein(input, candidate) / 10.0
        } else {
            strsim::normalized_levenshtein(input, candidate)
        };
        if score >= 0.5 && best.is_none_or(|(b, _)| score > b) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_suggests_the_full_term_for_a_prefix() {
        let open_types = ["无条件开放", "有条件开放", "不予开放"];
        assert_eq!(nearest("有条件", open_types), Some("有条件开放"));
        assert_eq!(nearest("无条件开放的", open_types), Some("无条件开放"));
        assert_eq!(nearest("月度", ["每日", "每月"]), None);
        assert_eq!(nearest("每天", ["每日", "每月", "每年"]), Some("每日"));
    }
}
