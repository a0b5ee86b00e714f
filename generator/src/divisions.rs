//! The Guangxi statistical division codes (统计用区划代码), all five levels, embedded at build time
//! from `data/divisions/`. Lookup only: this module knows nothing of records.

use std::collections::BTreeMap;

use crate::model::Level;

const DIVISIONS_CSV: &str = include_str!("../../data/divisions/guangxi_divisions_l1-l5.csv");

/// One administrative division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// The code, 2 to 12 digits.
    pub code: String,
    /// Its Chinese name.
    pub name: String,
    /// Its level.
    pub level: Level,
    /// The code of the division above it, if any.
    pub parent: Option<String>,
}

/// Every known division, by code.
#[derive(Debug, Clone)]
pub struct Divisions {
    by_code: BTreeMap<String, Division>,
}

impl Divisions {
    /// The embedded Guangxi list.
    pub fn guangxi() -> Divisions {
        let mut by_code = BTreeMap::new();
        for line in DIVISIONS_CSV.lines().skip(1) {
            let cols: Vec<&str> = line.trim_end_matches('\r').split(',').collect();
            if cols.len() < 5 {
                continue;
            }
            let Some(level) = Level::from_code_length(cols[0].len()) else {
                continue;
            };
            by_code.insert(
                cols[0].to_string(),
                Division {
                    code: cols[0].to_string(),
                    name: cols[1].to_string(),
                    level,
                    parent: (!cols[4].is_empty()).then(|| cols[4].to_string()),
                },
            );
        }
        Divisions { by_code }
    }

    /// Every division, by code.
    pub fn all(&self) -> impl Iterator<Item = &Division> {
        self.by_code.values()
    }

    /// Looks up a code.
    pub fn get(&self, code: &str) -> Option<&Division> {
        self.by_code.get(code)
    }

    /// The chain from the top (自治区) down to `code`, inclusive.
    pub fn ancestry(&self, code: &str) -> Vec<&Division> {
        let mut chain = Vec::new();
        let mut next = self.get(code);
        while let Some(division) = next {
            chain.push(division);
            next = division.parent.as_deref().and_then(|p| self.get(p));
        }
        chain.reverse();
        chain
    }

    /// The full display name, e.g. `广西壮族自治区 南宁市 青秀区`.
    pub fn full_name(&self, code: &str) -> String {
        self.ancestry(code)
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Number of divisions known.
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether no division is known.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_five_levels_are_known_and_linked() {
        let divisions = Divisions::guangxi();
        assert_eq!(divisions.len(), 18091);
        assert_eq!(divisions.get("45").map(|d| d.level), Some(Level::Region));
        assert_eq!(
            divisions.get("4501").map(|d| d.name.as_str()),
            Some("南宁市")
        );
        assert_eq!(
            divisions.full_name("450103"),
            "广西壮族自治区 南宁市 青秀区"
        );
        assert!(divisions.get("450199").is_none());
    }
}
