//! schema.org descriptions embedded in pages (`<script type="application/ld+json">`): a
//! `Dataset` on every dataset page, a `DataCatalog` on the home page. Search engines such as
//! Google Dataset Search read these.

use serde_json::{Value, json};

use super::dcat::Addresses;
use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::model::{Dataset, Department, ResourceLocation, Vocabulary};

/// The schema.org `Dataset` of a dataset page.
pub fn dataset(
    d: &Dataset,
    department: &Department,
    config: &SiteConfig,
    divisions: &Divisions,
    addresses: &Addresses,
) -> Value {
    let page = addresses.url(&format!("datasets/{}/", d.id));
    let publisher = json!({
        "@type": "GovernmentOrganization",
        "name": department.name,
        "url": addresses.url(&format!("departments/{}/", department.code.0)),
    });
    let distribution: Vec<Value> = d
        .resources
        .iter()
        .map(|r| {
            let url = super::resource_address(&page, r);
            let mut download = json!({
                "@type": "DataDownload",
                "name": r.title,
                "contentUrl": url,
                "encodingFormat": r.format,
            });
            if let ResourceLocation::File { size, .. } = &r.location {
                download["contentSize"] = json!(format!("{size} B"));
            }
            download
        })
        .collect();
    let mut value = json!({
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": addresses.dataset(&d.id.0).as_str(),
        "name": d.title,
        "description": if d.summary_text.trim().chars().count() >= 50 { d.summary_text.to_string() } else {
            // Google asks for 50 to 5,000 characters; a short summary is padded with what
            // the record says about the dataset.
            format!("{}。{}发布，{}，{}更新。", d.summary_text.trim_end_matches('。'), department.name, d.open_type.label(), d.update_frequency.label())
        },
        "identifier": d.id.0,
        "url": page,
        "keywords": d.keywords,
        "isAccessibleForFree": true,
        "inLanguage": "zh-CN",
        "creator": publisher.clone(),
        "publisher": publisher,
        "spatialCoverage": {
            "@type": "Place",
            "name": divisions.full_name(&d.region.0),
        },
        "includedInDataCatalog": {
            "@type": "DataCatalog",
            "name": config.title,
            "url": addresses.url(""),
        },
        "distribution": distribution,
    });
    if let Some(licence) = &d.license {
        // The licence's address when it is a known one (schema.org asks for a URL).
        value["license"] = json!(super::dcat::licence_url(licence).unwrap_or(licence));
    }
    if let Some(date) = d.issued {
        value["datePublished"] = json!(date.to_string());
    }
    if let Some(date) = d.last_change() {
        value["dateModified"] = json!(date.to_string());
    }
    if !d.fields.is_empty() {
        value["variableMeasured"] =
            json!(d.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>());
    }
    value
}

/// The schema.org `DataCatalog` of the home page.
pub fn catalog(config: &SiteConfig, addresses: &Addresses, datasets: usize) -> Value {
    json!({
        "@context": "https://schema.org/",
        "@type": "DataCatalog",
        "@id": addresses.catalog().as_str(),
        "name": config.title,
        "description": config.description,
        "url": addresses.url(""),
        "inLanguage": "zh-CN",
        "publisher": {
            "@type": "GovernmentOrganization",
            "name": if config.operator.is_empty() { &config.title } else { &config.operator },
        },
        "size": datasets,
    })
}

/// JSON for a `<script>` element: `<`, `>` and `&` are written as `\u003c` and so on, so no
/// text in a record can close the element or open a comment.
pub fn for_script(value: &Value) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_text_cannot_close_its_element() {
        let value = json!({"name": "</script><script>alert(1)</script><!--"});
        let text = for_script(&value);
        assert!(!text.contains('<') && !text.contains('>'), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value, "the escapes are JSON and read back the same");
    }
}
