//! Atom feeds (RFC 4287) of new and updated datasets: the portal's, and one per department
//! and per data domain, each holding the [`ENTRIES`] most recently changed datasets; and the
//! feeds of maintenance notices and of takedowns.

use chrono::NaiveDate;

use super::dcat::Addresses;
use super::xml_escape as escape;
use crate::config::SiteConfig;
use crate::model::{Dataset, Notice, Vocabulary};
use crate::policy::{AnnouncedTakedown, PublicCatalog};

/// Datasets a feed holds: the most recently changed.
pub const ENTRIES: usize = 50;

/// The portal's feed of new and updated datasets.
pub const SITE_FEED: &str = "feeds/datasets.atom";

/// The feed of maintenance notices (第十三条).
pub const NOTICES_FEED: &str = "feeds/notices.atom";

/// The feed of takedowns (第二十二条): datasets suspended, withdrawn, restored or reopened,
/// so that harvesters delete what left the catalog.
pub const WITHDRAWALS_FEED: &str = "feeds/withdrawals.atom";

/// The Atom Tombstones namespace (RFC 6721).
const TOMBSTONES: &str = "http://purl.org/atompub/tombstones/1.0";

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

/// An RFC 3339 timestamp of a China Standard Time date and time.
pub fn china_timestamp(time: chrono::NaiveDateTime) -> String {
    format!("{}+08:00", time.format("%Y-%m-%dT%H:%M:%S"))
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
    let mut xml = head(addresses, config, info, &timestamp(newest), "");
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

/// A feed's opening: the feed element (with `namespaces`, attributes to add to it), its id,
/// title, date, links and author.
fn head(
    addresses: &Addresses,
    config: &SiteConfig,
    info: &FeedInfo<'_>,
    updated: &str,
    namespaces: &str,
) -> String {
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\"{namespaces} xml:lang=\"zh\">\n",
    );
    text_element(&mut xml, "id", &addresses.url(info.path));
    text_element(&mut xml, "title", info.title);
    text_element(&mut xml, "updated", updated);
    xml.push_str(&format!(
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n",
        escape(&addresses.url(info.path))
    ));
    xml.push_str(&format!(
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
        escape(&addresses.url(info.page))
    ));
    xml.push_str(&format!(
        "{}<generator>kaifang</generator>\n",
        operator_author(config)
    ));
    xml
}

/// The `<author>` element naming the platform's operator (or the portal, without one).
fn operator_author(config: &SiteConfig) -> String {
    let author = if config.operator.is_empty() {
        &config.title
    } else {
        &config.operator
    };
    format!("<author><name>{}</name></author>\n", escape(author))
}

/// The feed of maintenance notices, newest window first: each entry is one notice, dated
/// when it was published. `updated` is the feed's date when it has no entry.
pub fn notices_feed(
    addresses: &Addresses,
    config: &SiteConfig,
    notices: &[Notice],
    updated: NaiveDate,
) -> String {
    let page = "notices/";
    let info = FeedInfo {
        path: NOTICES_FEED,
        title: &format!("{}：维护通知", config.title),
        page,
    };
    let updated = notices
        .iter()
        .map(|n| n.published)
        .max()
        .map_or_else(|| timestamp(updated), china_timestamp);
    let mut xml = head(addresses, config, &info, &updated, "");
    for notice in notices {
        let link = addresses.url(&format!("{page}#notice-{}", notice.id));
        xml.push_str("<entry>\n");
        text_element(&mut xml, "id", &link);
        text_element(&mut xml, "title", &notice.title);
        text_element(&mut xml, "updated", &china_timestamp(notice.published));
        text_element(&mut xml, "published", &china_timestamp(notice.published));
        xml.push_str(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&link)
        ));
        xml.push_str(&operator_author(config));
        xml.push_str(&format!(
            "<summary type=\"text\">维护时间：{} 至 {}。{}</summary>\n",
            escape(&china_timestamp(notice.start)),
            escape(&china_timestamp(notice.end)),
            escape(notice.text.trim())
        ));
        xml.push_str("</entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

/// The feed of takedowns, latest change first: an entry per takedown in its present state,
/// and an Atom tombstone (RFC 6721) for each dataset offline now, naming the entry the
/// datasets feeds gave it, so a harvester deletes its copy. Names only the dataset's id and
/// title, the grounds and the dates; never who objected. `updated` is the feed's date when
/// no takedown is listed.
pub fn withdrawals_feed(
    addresses: &Addresses,
    config: &SiteConfig,
    takedowns: &[AnnouncedTakedown],
    updated: NaiveDate,
) -> String {
    let page = "takedowns/";
    let info = FeedInfo {
        path: WITHDRAWALS_FEED,
        title: &format!("{}：数据下架与恢复", config.title),
        page,
    };
    let newest = takedowns
        .iter()
        .map(|a| a.takedown.updated())
        .max()
        .unwrap_or(updated);
    let namespaces = format!(" xmlns:at=\"{TOMBSTONES}\"");
    let mut xml = head(addresses, config, &info, &timestamp(newest), &namespaces);
    let mut tombstoned = std::collections::HashSet::new();
    for announced in takedowns {
        let t = &announced.takedown;
        let dataset_page = addresses.url(&format!("datasets/{}/", t.dataset));
        // One tombstone per dataset, from its latest takedown (they come latest first).
        if !announced.published && tombstoned.insert(&t.dataset) {
            xml.push_str(&format!(
                "<at:deleted-entry ref=\"{}\" when=\"{}\"><at:comment>{}</at:comment></at:deleted-entry>\n",
                escape(&dataset_page),
                timestamp(t.updated()),
                escape(t.state.describe())
            ));
        }
    }
    for announced in takedowns {
        let t = &announced.takedown;
        let link = addresses.url(&format!("{page}#takedown-{}", t.id));
        let dataset_page = addresses.url(&format!("datasets/{}/", t.dataset));
        xml.push_str("<entry>\n");
        text_element(&mut xml, "id", &link);
        text_element(
            &mut xml,
            "title",
            &format!("{}：{}", t.state.describe(), announced.title),
        );
        text_element(&mut xml, "updated", &timestamp(t.updated()));
        text_element(&mut xml, "published", &timestamp(t.received));
        xml.push_str(&format!(
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n",
            escape(&link)
        ));
        if announced.published {
            xml.push_str(&format!(
                "<link rel=\"related\" type=\"text/html\" href=\"{}\"/>\n",
                escape(&dataset_page)
            ));
        }
        xml.push_str(&operator_author(config));
        xml.push_str(&format!(
            "<category term=\"{}\" label=\"{}\"/>\n",
            t.state.slug(),
            escape(t.state.describe())
        ));
        let steps: Vec<String> = t
            .history
            .iter()
            .map(|(state, date)| format!("{} {date}", state.describe()))
            .collect();
        xml.push_str(&format!(
            "<summary type=\"text\">数据集 {}（{}）{}。理由：{}。受理 {}；{}。</summary>\n",
            escape(&t.dataset.0),
            escape(&announced.title),
            escape(t.state.describe()),
            escape(t.grounds.label()),
            t.received,
            escape(&steps.join("；"))
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
