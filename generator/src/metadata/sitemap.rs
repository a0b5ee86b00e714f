//! `sitemap.xml` (an index of `sitemaps/<n>.xml` when the site has more than [`MAX_URLS`]
//! pages) and `robots.txt`.

use chrono::NaiveDate;

use super::dcat::Addresses;

/// URLs one sitemap file may list (sitemaps.org).
pub const MAX_URLS: usize = 50_000;

/// One page in a sitemap.
#[derive(Debug, Clone, Hash, PartialEq, Eq)]
pub struct Entry {
    /// Site path of the page (`datasets/x/`).
    pub path: String,
    /// When its content last changed, if known.
    pub modified: Option<NaiveDate>,
}

/// The path of sitemap part `n` (from 1) when the sitemap is split.
pub fn part_path(n: usize) -> String {
    format!("sitemaps/{n}.xml")
}

/// A `<urlset>` of these pages.
pub fn urlset(addresses: &Addresses, entries: &[Entry]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for entry in entries {
        xml.push_str("<url><loc>");
        xml.push_str(&super::xml_escape(&addresses.url(&entry.path)));
        xml.push_str("</loc>");
        if let Some(date) = entry.modified {
            xml.push_str(&format!("<lastmod>{date}</lastmod>"));
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// A `<sitemapindex>` of `parts` sitemap files.
pub fn index(addresses: &Addresses, parts: usize) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for n in 1..=parts {
        xml.push_str("<sitemap><loc>");
        xml.push_str(&super::xml_escape(&addresses.url(&part_path(n))));
        xml.push_str("</loc></sitemap>\n");
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

/// `robots.txt`: everything may be crawled; the sitemap is named.
pub fn robots(addresses: &Addresses) -> String {
    format!(
        "User-agent: *\nAllow: /\n\nSitemap: {}\n",
        addresses.url("sitemap.xml")
    )
}
