//! Takedown records (第二十二条), `content/takedowns/<id>.yaml`: a dataset objected to, the
//! grounds, and the date of each state it went through. A takedown decides the dataset's
//! public state over the dataset's own `status`, so the operator acts without editing the
//! department's record.
//!
//! A takedown record that is wrong still protects: when its dataset can be read from it at
//! all (any file in the folder, whatever its name, with a `dataset:` line), that dataset is
//! kept offline (as suspended) until the record is fixed.

use std::path::Path;

use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::Deserialize;

use super::{Unparsed, load_kind};
use crate::config::Limits;
use crate::diagnostics::Diagnostic;
use crate::load::{Loaded, Text};
use crate::model::{DatasetId, Grounds, Takedown, TakedownState, Vocabulary};
use crate::validate::Checker;

/// The folder of takedown records under the content folder.
pub const FOLDER: &str = "takedowns";

/// A takedown record as written.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "下架处理 Takedown record")]
pub struct RawTakedown {
    /// 数据集 The id of the dataset objected to.
    #[schemars(with = "String")]
    pub dataset: Text,
    /// 受理日期 When the objection was received (YYYY-MM-DD).
    #[schemars(with = "String")]
    pub received: Text,
    /// 理由 Grounds: 商业秘密, 个人隐私 or 其他. The complainant is never recorded here.
    #[schemars(with = "Grounds")]
    pub grounds: Text,
    /// 状态 State now: suspended, verified, withdrawn, restored or reopened.
    #[schemars(with = "TakedownState")]
    pub state: Text,
    /// 暂停日期 When the dataset was suspended (YYYY-MM-DD); required.
    #[schemars(with = "String")]
    pub suspended: Text,
    /// 核实日期 When the objection was verified.
    #[schemars(with = "Option<String>")]
    pub verified: Option<Text>,
    /// 撤回日期 When the dataset was withdrawn.
    #[schemars(with = "Option<String>")]
    pub withdrawn: Option<Text>,
    /// 恢复日期 When the dataset was restored.
    #[schemars(with = "Option<String>")]
    pub restored: Option<Text>,
    /// 重新开放日期 When the dataset was reopened after processing.
    #[schemars(with = "Option<String>")]
    pub reopened: Option<Text>,
}

/// The takedowns of a content folder, checked.
#[derive(Debug, Default)]
pub struct Takedowns {
    /// Valid takedowns, by record id.
    pub valid: Vec<Takedown>,
    /// Datasets named by takedown records that are wrong: kept offline until they are fixed.
    pub held: Vec<(DatasetId, String)>,
    /// Per dataset a takedown touches, the state it keeps the dataset in (`None` when no
    /// takedown keeps it offline).
    states: std::collections::HashMap<String, Option<TakedownState>>,
}

impl Takedowns {
    /// Fills the per-dataset states from `valid` and `held`.
    fn index(&mut self) {
        let mut states: std::collections::HashMap<String, Option<TakedownState>> =
            Default::default();
        for takedown in &self.valid {
            let state = states.entry(takedown.dataset.0.clone()).or_default();
            if takedown.state == TakedownState::Withdrawn {
                *state = Some(TakedownState::Withdrawn);
            } else if takedown.state.withholds() && state.is_none() {
                *state = Some(TakedownState::Suspended);
            }
        }
        for (dataset, _) in &self.held {
            let state = states.entry(dataset.0.clone()).or_default();
            if state.is_none() {
                *state = Some(TakedownState::Suspended);
            }
        }
        self.states = states;
    }

    /// Whether the takedowns keep `dataset` offline, and as what: withdrawn when one
    /// withdrew it, else suspended.
    pub fn state_of(&self, dataset: &str) -> Option<TakedownState> {
        self.states.get(dataset).copied().flatten()
    }

    /// Whether any takedown touches `dataset`.
    pub fn touches(&self, dataset: &str) -> bool {
        self.states.contains_key(dataset)
    }
}

/// Reads and checks `content/takedowns/`. `known` says whether a dataset id exists in the
/// catalog (accepted or rejected); `ids` lists them, for suggestions.
pub fn load<'a>(
    content: &Path,
    limits: &Limits,
    today: Option<NaiveDate>,
    known: &dyn Fn(&str) -> bool,
    ids: &dyn Fn() -> Vec<&'a str>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Takedowns {
    let (loaded, unparsed) = load_kind::<RawTakedown>(content, FOLDER, limits, diagnostics);
    let mut takedowns = Takedowns::default();
    for Unparsed { rel, source } in unparsed {
        if let Some(id) = source.as_deref().and_then(dataset_line) {
            takedowns.held.push((DatasetId(id), rel));
        }
    }
    for (id, record) in &loaded {
        let mut check = Checker::new(&record.rel, &record.source, today);
        let takedown = takedown(&mut check, id, record, known, ids);
        let errors = check.has_errors();
        diagnostics.append(&mut check.found);
        match takedown {
            Some(t) if !errors => takedowns.valid.push(t),
            _ => {
                let dataset = record.value.dataset.value.trim();
                if !dataset.is_empty() {
                    takedowns
                        .held
                        .push((DatasetId(dataset.to_string()), record.rel.clone()));
                }
            }
        }
    }
    takedowns.index();
    for (dataset, rel) in &takedowns.held {
        diagnostics.push(
            Diagnostic::warning(
                "takedown-held",
                rel,
                format!("dataset `{dataset}` is kept offline until this takedown record is fixed"),
            )
            .help("a takedown record with an error still suspends the dataset it names"),
        );
    }
    takedowns
}

/// The dataset a record that did not parse names on a `dataset:` line, if any.
fn dataset_line(source: &str) -> Option<String> {
    source.lines().find_map(|line| {
        let value = line.strip_prefix("dataset:")?;
        let value = value.split(" #").next().unwrap_or("").trim();
        let value = value.trim_matches(|c| c == '"' || c == '\'').trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

fn takedown<'a>(
    check: &mut Checker<'_>,
    id: &str,
    record: &Loaded<RawTakedown>,
    known: &dyn Fn(&str) -> bool,
    ids: &dyn Fn() -> Vec<&'a str>,
) -> Option<Takedown> {
    let raw = &record.value;
    let dataset = raw.dataset.value.trim();
    if !known(dataset) {
        super::unknown_dataset(check, &raw.dataset, ids());
    }
    let grounds = check.vocabulary::<Grounds>("grounds", &raw.grounds);
    let state = check.vocabulary::<TakedownState>("state", &raw.state);
    let received = check.date("received", &Some(raw.received.clone()));
    let stages: [(TakedownState, &Option<Text>); 4] = [
        (TakedownState::Verified, &raw.verified),
        (TakedownState::Withdrawn, &raw.withdrawn),
        (TakedownState::Restored, &raw.restored),
        (TakedownState::Reopened, &raw.reopened),
    ];
    let mut history = Vec::new();
    if let Some(date) = check.date("suspended", &Some(raw.suspended.clone())) {
        history.push((TakedownState::Suspended, date, &raw.suspended));
    }
    for (stage, text) in stages {
        if let Some(date) = check.date(stage.label(), text) {
            history.push((stage, date, text.as_ref().expect("a date was read")));
        }
    }
    // At most one outcome.
    let outcomes: Vec<&(TakedownState, NaiveDate, &Text)> = history
        .iter()
        .filter(|(s, _, _)| !matches!(s, TakedownState::Suspended | TakedownState::Verified))
        .collect();
    if let [_, second, ..] = outcomes.as_slice() {
        check.error(
            "two-outcomes",
            second.2,
            format!(
                "a takedown ends once: `{}` and `{}` are both given",
                outcomes[0].0.label(),
                second.0.label()
            ),
            "second outcome",
            "keep the date of what was decided; open a new takedown record for a new objection"
                .into(),
        );
    }
    // Dates in order, none before the objection was received.
    let mut previous = received.map(|d| ("received", d));
    for (stage, date, text) in &history {
        if let Some((before, earlier)) = previous
            && *date < earlier
        {
            check.error(
                "date-order",
                *text,
                format!("`{}` {date} comes before `{before}` {earlier}", stage.label()),
                "too early",
                "a takedown is received, suspended, verified, then withdrawn, restored or reopened, in that order".into(),
            );
        }
        previous = Some((stage.label(), *date));
    }
    if let Some(state) = state {
        let last = history.last().map(|(s, _, _)| *s);
        if last != Some(state) && !check.has_errors() {
            let given = history
                .iter()
                .find(|(s, _, _)| *s == state)
                .map(|(_, d, _)| *d);
            let message = match given {
                Some(_) => format!(
                    "the state is `{}` but the record goes on to `{}`",
                    state.label(),
                    last.map_or("", |s| s.label())
                ),
                None => format!(
                    "the state is `{}` but the record gives no `{}` date",
                    state.label(),
                    state.label()
                ),
            };
            check.error(
                "state-without-date",
                &raw.state,
                message,
                "does not match the dates",
                format!(
                    "write `{}: YYYY-MM-DD` for the day it happened, and make `state` the last step taken",
                    state.label()
                ),
            );
        }
    }
    Some(Takedown {
        id: id.to_string(),
        record_path: record.rel.clone(),
        dataset: DatasetId(dataset.to_string()),
        received: received?,
        grounds: grounds?,
        state: state?,
        history: history.into_iter().map(|(s, d, _)| (s, d)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join(FOLDER)).unwrap();
        std::fs::write(dir.join(FOLDER).join(name), text).unwrap();
    }

    fn load_in(dir: &Path) -> (Takedowns, Vec<Diagnostic>) {
        let mut found = Vec::new();
        let known = |id: &str| ["bus-stops", "parks"].contains(&id);
        let ids = || vec!["bus-stops", "parks"];
        let today = NaiveDate::from_ymd_opt(2026, 12, 1);
        let takedowns = load(dir, &Limits::default(), today, &known, &ids, &mut found);
        (takedowns, found)
    }

    const GOOD: &str = "dataset: bus-stops\nreceived: 2026-11-02\ngrounds: 个人隐私\nstate: withdrawn\nsuspended: 2026-11-02\nverified: 2026-11-04\nwithdrawn: 2026-11-09\n";

    #[test]
    fn a_good_record_reads_with_its_history() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "2026-001.yaml", GOOD);
        let (takedowns, found) = load_in(dir.path());
        assert!(found.is_empty(), "{found:?}");
        let t = &takedowns.valid[0];
        assert_eq!(t.id, "2026-001");
        assert_eq!(t.state, TakedownState::Withdrawn);
        assert_eq!(t.grounds, Grounds::Privacy);
        assert_eq!(t.history.len(), 3);
        assert_eq!(t.updated(), NaiveDate::from_ymd_opt(2026, 11, 9).unwrap());
        assert_eq!(
            takedowns.state_of("bus-stops"),
            Some(TakedownState::Withdrawn)
        );
        assert_eq!(takedowns.state_of("parks"), None);
    }

    #[test]
    fn a_restored_dataset_is_not_held() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "a.yaml",
            "dataset: parks\nreceived: 2026-11-02\ngrounds: 商业秘密\nstate: restored\nsuspended: 2026-11-02\nrestored: 2026-11-05\n",
        );
        let (takedowns, found) = load_in(dir.path());
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(takedowns.state_of("parks"), None);
        assert!(takedowns.touches("parks"));
    }

    #[test]
    fn wrong_records_are_located_and_still_hold_their_dataset() {
        let dir = tempfile::tempdir().unwrap();
        // A state misspelled: the dataset stays offline.
        write(
            dir.path(),
            "a.yaml",
            "dataset: parks\nreceived: 2026-11-02\ngrounds: 个人隐私\nstate: restord\nsuspended: 2026-11-02\n",
        );
        // Not YAML at all, but the dataset line is readable.
        write(dir.path(), "b.yaml", "dataset: bus-stops\nstate: [\n");
        let (takedowns, found) = load_in(dir.path());
        assert!(takedowns.valid.is_empty());
        assert_eq!(takedowns.state_of("parks"), Some(TakedownState::Suspended));
        assert_eq!(
            takedowns.state_of("bus-stops"),
            Some(TakedownState::Suspended)
        );
        let state = found.iter().find(|d| d.code == "not-in-list").unwrap();
        assert!(state.file.ends_with("/takedowns/a.yaml"), "{}", state.file);
        assert_eq!(state.location.as_ref().unwrap().line, 4);
        assert!(state.help.as_deref().unwrap().contains("restored"));
        assert_eq!(
            found.iter().filter(|d| d.code == "takedown-held").count(),
            2
        );
    }

    #[test]
    fn cross_references_dates_and_states_are_checked() {
        let cases = [
            (
                "dataset: bus-stop\nreceived: 2026-11-02\ngrounds: 个人隐私\nstate: suspended\nsuspended: 2026-11-02\n",
                "unknown-dataset",
                1,
            ),
            (
                "dataset: parks\nreceived: 2026-11-02\ngrounds: 个人隐私\nstate: suspended\nsuspended: 2026-11-01\n",
                "date-order",
                5,
            ),
            (
                "dataset: parks\nreceived: 2026-11-02\ngrounds: 个人隐私\nstate: withdrawn\nsuspended: 2026-11-02\nverified: 2026-11-03\n",
                "state-without-date",
                4,
            ),
            (
                "dataset: parks\nreceived: 2026-11-02\ngrounds: 个人隐私\nstate: restored\nsuspended: 2026-11-02\nwithdrawn: 2026-11-03\nrestored: 2026-11-04\n",
                "two-outcomes",
                7,
            ),
            (
                "dataset: parks\nreceived: 2026-11-02\ngrounds: 个人隐私\nstate: suspended\nsuspended: 2027-01-02\n",
                "future-date",
                5,
            ),
            (
                "dataset: parks\nreceived: 2026-11-02\ngrounds: 举报\nstate: suspended\nsuspended: 2026-11-02\n",
                "not-in-list",
                3,
            ),
        ];
        for (text, code, line) in cases {
            let dir = tempfile::tempdir().unwrap();
            write(dir.path(), "t.yaml", text);
            let (takedowns, found) = load_in(dir.path());
            let error = found
                .iter()
                .find(|d| d.is_error())
                .unwrap_or_else(|| panic!("no error for {text}"));
            assert_eq!(error.code, code, "{text}");
            assert_eq!(error.location.as_ref().unwrap().line, line, "{text}");
            assert!(takedowns.valid.is_empty());
        }
    }

    #[test]
    fn every_file_in_the_folder_counts_whatever_its_name_or_depth() {
        let dir = tempfile::tempdir().unwrap();
        // A .yml record, deep in subfolders, is read as a record.
        std::fs::create_dir_all(dir.path().join(FOLDER).join("a/b/c")).unwrap();
        std::fs::write(dir.path().join(FOLDER).join("a/b/c/2026-002.yml"), GOOD).unwrap();
        // A file of another name is not a record, but its dataset line still holds it.
        write(
            dir.path(),
            "notes.txt",
            "dataset: parks\nstate: suspended\n",
        );
        let (takedowns, found) = load_in(dir.path());
        assert_eq!(takedowns.valid.len(), 1);
        assert_eq!(
            takedowns.state_of("bus-stops"),
            Some(TakedownState::Withdrawn)
        );
        assert_eq!(takedowns.state_of("parks"), Some(TakedownState::Suspended));
        assert!(found.iter().any(|d| d.code == "not-a-record"));
    }

    #[test]
    fn the_complainant_has_no_place_in_a_record() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "t.yaml", &format!("{GOOD}complainant: 张三\n"));
        let (takedowns, found) = load_in(dir.path());
        assert!(
            found
                .iter()
                .any(|d| d.is_error() && d.code == "unknown-key")
        );
        // Still held: the dataset line is readable.
        assert_eq!(
            takedowns.state_of("bus-stops"),
            Some(TakedownState::Suspended)
        );
    }
}
