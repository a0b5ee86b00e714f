//! Atom feeds (RFC 4287) of new and updated datasets: the portal's, and one per department
//! and per data domain, each holding the [`ENTRIES`] most recently changed datasets.

use chrono::NaiveDate;

use super::dcat::Addresses;
use super::xml_escape as escape;
use crate::config::SiteConfig;
use crate::model::Dataset;
use crate::policy::PublicCatalog;

/// Datasets a feed holds: the most recently changed.
pub const ENTRIES: usize = 50;

/// The portal's feed of new and updated datasets.
pub const SITE_FEED: &str = "feeds/datasets.atom";

/// The feed of a listing folder (`departments/<code>/`, `domains/<slug>/`).
pub fn feed_path(listing: &str) -> String {
    format!("{listing}feed.atom")
}

/// What a feed is about.
pub struct FeedInfo<'a> {
    /// The feed's site path.
    pub path: &'a str,
    /// Its title.
    pub title: &'a str,
    /// The site path of the HTML page listing the same datasets.
    pub page: &'a str,
}

/// An RFC 3339 timestamp of a date (midnight in China, where the records are dated).
fn timestamp(date: NaiveDate) -> String {
    format!("{date}T00:00:00+08:00")
}

fn text_element(xml: &mut String, name: &str, text: &str) {
    xml.push_str(&format!("<{name}>{}</{name}>\n", escape(text)));
}

/// The feed document of these datasets (given newest first; at most [`ENTRIES`] are used).
/// `updated` is the feed's date when it has no entry.
pub fn feed<'a>(
    addresses: &Addresses,
    config: &SiteConfig,
    catalog: &PublicCatalog,
    info: &FeedInfo<'_>,
    datasets: impl Iterator<Item = &'a Dataset>,
    updated: NaiveDate,
) -> String {
    let datasets: Vec<&Dataset> = datasets.take(ENTRIES).collect();
    let newest = datasets
        .iter()
        .filter_map(|d| d.last_change())
        .max()
        .unwrap_or(updated);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"zh\">\n",
    );
    text_element(&mut xml, "id", &addresses.url(info.path));
    text_element(&mut xml, "title", info.title);
    text_element(&mut xml, "updated", &timestamp(newest));
    xml.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&addresses.url(info.path))
    ));
    xml.push_str(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(&addresses.url(info.page))
    ));
    let author = if config.operator.is_empty() {
        &config.title
    } else {
        &config.operator
    };
    xml.push_str(&format!(
        "<author><name>{}</name></author>\n<generator>kaifang</generator>\n",
        escape(author)
    ));
    for dataset in datasets {
        let page = format!("datasets/{}/", dataset.id);
        xml.push_str("<entry>\n");
        text_element(&mut xml, "id", &addresses.url(&page));
        text_element(&mut xml, "title", &dataset.title);
        let changed = dataset.last_change().unwrap_or(updated);
        text_element(&mut xml, "updated", &timestamp(changed));
        if let Some(issued) = dataset.issued {
            text_element(&mut xml, "published", &timestamp(issued));
        }
        xml.push_str(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&addresses.url(&page))
        ));
        for format in super::RdfFormat::ALL {
            let document = format!("datasets/{}.{}", dataset.id, format.extension());
            xml.push_str(&format!(
                "<link rel=\"describedby\" type=\"{}\" href=\"{}\"/>\n",
                format.media_type(),
                escape(&addresses.url(&document))
            ));
        }
        let department = catalog
            .departments
            .get(&dataset.department)
            .map_or(dataset.department.0.as_str(), |d| d.name.as_str());
        xml.push_str(&format!(
            "<author><name>{}</name></author>\n",
            escape(department)
        ));
        let domain = config
            .domain_by_slug(&dataset.domain)
            .map_or(dataset.domain.as_str(), |d| d.name.as_str());
        xml.push_str(&format!(
            "<category term=\"{}\" label=\"{}\"/>\n",
            escape(&dataset.domain),
            escape(domain)
        ));
        xml.push_str(&format!(
            "<summary type=\"text\">{}</summary>\n",
            escape(&dataset.summary_text)
        ));
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(
            escape("a<b>&\"c\u{1}\u{FFFF}d\n"),
            "a&lt;b&gt;&amp;&quot;cd\n"
        );
    }

    #[test]
    fn dates_are_rfc3339_in_china() {
        let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(timestamp(date), "2026-03-01T00:00:00+08:00");
    }
}
