//! Turning diagnostics into text a department clerk can act on (rustc-style) or JSON for CI.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use generator::diagnostics::{Diagnostic, Severity};

/// Renders one diagnostic as rustc-style plain text.
pub fn render(diagnostic: &Diagnostic) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    let title = level.primary_title(&diagnostic.message).id(diagnostic.code);
    let mut group = match &diagnostic.location {
        Some(location) => {
            let line = &location.line_text;
            // Columns count characters; the snippet wants bytes.
            let start = line
                .char_indices()
                .nth(location.column.saturating_sub(1))
                .map_or(line.len(), |(i, _)| i);
            let end = line[start..]
                .char_indices()
                .nth(location.length)
                .map_or(line.len(), |(i, _)| start + i)
                .max(start);
            let origin = format!("{}:{}:{}", diagnostic.file, location.line, location.column);
            let snippet = Snippet::source(line.as_str())
                .path(origin)
                .line_start(location.line)
                .annotation(
                    AnnotationKind::Primary
                        .span(start..end)
                        .label(&diagnostic.label),
                );
            title.element(snippet)
        }
        None => title.element(Origin::path(diagnostic.file.as_str())),
    };
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help));
    }
    let report: &[Group] = &[group];
    let text = Renderer::plain().render(report);
    fix_origin(&text, diagnostic)
}

/// annotate-snippets recomputes `file:line:col` from the span; our path already carries the
/// real position, so keep exactly one.
fn fix_origin(text: &str, diagnostic: &Diagnostic) -> String {
    let Some(location) = &diagnostic.location else {
        return text.to_string();
    };
    let ours = format!("{}:{}:{}", diagnostic.file, location.line, location.column);
    text.lines()
        .map(|line| {
            if let Some(rest) = line.trim_start().strip_prefix("--> ")
                && rest.starts_with(&ours)
            {
                let indent = &line[..line.len() - line.trim_start().len()];
                format!("{indent}--> {ours}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Renders all diagnostics, separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(render)
        .collect::<Vec<_>>()
        .join("\n\n")
}
