//! `kaifang search`: answers a query from a built site's exported index files, with the same
//! steps as the browser, and says what it read.

use std::io::Write as _;
use std::path::Path;

use search_index::query::{Engine, FolderSource, Query};

use crate::{EXIT_FAILED, EXIT_OK, EXIT_REJECTED};

/// Runs one query; exit 0 with results, 1 without, 2 when the index cannot be read.
pub fn run(site: &Path, text: &str, filters: &[String], limit: usize, json: bool) -> u8 {
    let mut parsed = Vec::with_capacity(filters.len());
    for filter in filters {
        match filter.split_once('=') {
            Some((name, value)) if !name.is_empty() && !value.is_empty() => {
                parsed.push((name.to_string(), value.to_string()));
            }
            _ => {
                eprintln!(
                    "error: filter `{filter}` is not NAME=VALUE (e.g. --filter domain=transport)"
                );
                return EXIT_FAILED;
            }
        }
    }
    let answer = Engine::open(FolderSource(site.to_path_buf())).and_then(|mut engine| {
        engine.search(&Query {
            text: text.to_string(),
            filters: parsed,
            limit,
        })
    });
    let answer = match answer {
        Ok(answer) => answer,
        Err(err) => {
            eprintln!(
                "error: {err}\n  = help: build the site first (`kaifang build --out {}`), or pass --site",
                site.display()
            );
            return EXIT_FAILED;
        }
    };
    // A closed pipe (`| head`) ends the output quietly.
    let mut out = std::io::stdout().lock();
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::to_string(&answer).unwrap_or_default()
        );
    } else {
        let how = match answer.mode {
            "any" => "no dataset has every word; datasets with any of",
            "none" => "nothing to search for in",
            _ => "datasets with every word of",
        };
        let _ = writeln!(
            out,
            "{} result(s): {how} [{}]{}",
            answer.total,
            answer.terms.join(", "),
            if answer.truncated {
                " (query cut to its first 64 characters)"
            } else {
                ""
            }
        );
        for (i, hit) in answer.results.iter().enumerate() {
            let _ = writeln!(
                out,
                "{:>4}. {:>10.6}  {}  {}",
                i + 1,
                hit.score,
                hit.id,
                hit.title
            );
        }
        let _ = writeln!(
            out,
            "read {} file(s), {} bytes, in {} dependent round trip(s)",
            answer.fetched.len(),
            answer.bytes,
            answer.round_trips
        );
    }
    if answer.total > 0 {
        EXIT_OK
    } else {
        EXIT_REJECTED
    }
}
