//! A static CKAN API: the read calls that need no query string, as files with CKAN's
//! envelope (`{"help", "success", "result"}`), so CKAN harvesters and clients read the catalog
//! as from a CKAN site. `package_show?id=` and friends map onto these paths by a rewrite rule
//! (see docs/metadata.md).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::dcat::Addresses;
use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::model::{Dataset, Department, ResourceLocation, Vocabulary};
use crate::policy::PublicCatalog;

/// The folder of the API's files.
pub const ACTIONS: &str = "api/3/action/";

/// The file of a call (`api/3/action/package_list`).
pub fn action_path(action: &str) -> String {
    format!("{ACTIONS}{action}")
}

/// The file of `package_show` for one dataset.
pub fn package_show_path(id: &str) -> String {
    format!("{ACTIONS}package_show/{id}")
}

/// A result in CKAN's envelope, as a file's bytes.
pub fn envelope(addresses: &Addresses, action: &str, result: Value) -> Vec<u8> {
    let value = json!({
        "help": addresses.url(&format!("{ACTIONS}help_show?name={action}")),
        "success": true,
        "result": result,
    });
    let mut bytes = serde_json::to_vec(&value).expect("JSON serialises");
    bytes.push(b'\n');
    bytes
}

/// `package_list`: every dataset's name (its id), sorted.
pub fn package_list(catalog: &PublicCatalog) -> Value {
    let mut ids: Vec<&str> = catalog.datasets.iter().map(|d| d.id.0.as_str()).collect();
    ids.sort_unstable();
    json!(ids)
}

/// `organization_list`: the codes of departments with public datasets, sorted.
pub fn organization_list(catalog: &PublicCatalog) -> Value {
    let codes: BTreeSet<&str> = catalog
        .datasets
        .iter()
        .map(|d| d.department.0.as_str())
        .collect();
    json!(codes)
}

/// `group_list`: the slugs of domains with public datasets, in the configured order.
pub fn group_list(catalog: &PublicCatalog, config: &SiteConfig) -> Value {
    let used: BTreeSet<&str> = catalog.datasets.iter().map(|d| d.domain.as_str()).collect();
    let slugs: Vec<&str> = config
        .domains
        .iter()
        .map(|d| d.slug.as_str())
        .filter(|s| used.contains(s))
        .collect();
    json!(slugs)
}

/// `tag_list`: every keyword of a public dataset, sorted, once.
pub fn tag_list(catalog: &PublicCatalog) -> Value {
    let tags: BTreeSet<&str> = catalog
        .datasets
        .iter()
        .flat_map(|d| d.keywords.iter().map(String::as_str))
        .collect();
    json!(tags)
}

/// `package_show`: one dataset as a CKAN package.
pub fn package_show(
    d: &Dataset,
    department: &Department,
    config: &SiteConfig,
    divisions: &Divisions,
    addresses: &Addresses,
) -> Value {
    let page = addresses.url(&format!("datasets/{}/", d.id));
    let resources: Vec<Value> = d
        .resources
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let mut resource = json!({
                "id": format!("{}-{}", d.id, n + 1),
                "package_id": d.id.0,
                "name": r.title,
                "url": super::resource_address(&page, r),
                "format": r.format,
                "position": n,
                "url_type": Value::Null,
            });
            if let ResourceLocation::File { size, sha256, .. } = &r.location {
                resource["size"] = json!(size);
                resource["hash"] = json!(format!("sha256:{sha256}"));
            }
            resource
        })
        .collect();
    let tags: Vec<Value> = d
        .keywords
        .iter()
        .map(|k| json!({ "name": k, "display_name": k }))
        .collect();
    let domain = config.domain_by_slug(&d.domain);
    let groups: Vec<Value> = domain
        .map(|x| json!({ "name": x.slug, "title": x.name, "display_name": x.name }))
        .into_iter()
        .collect();
    let date = |date: Option<chrono::NaiveDate>| {
        date.map(|d| format!("{d}T00:00:00"))
            .map_or(Value::Null, Value::from)
    };
    let licence_url = d.license.as_deref().and_then(super::dcat::licence_url);
    json!({
        "id": d.id.0,
        "name": d.id.0,
        "title": d.title,
        "notes": d.summary_text.to_string(),
        "type": "dataset",
        "state": "active",
        "private": false,
        "url": page,
        "author": department.name,
        "maintainer": department.name,
        "license_id": d.license,
        "license_title": d.license,
        "license_url": licence_url,
        "metadata_created": date(d.issued),
        "metadata_modified": date(d.last_change()),
        "organization": {
            "id": department.code.0,
            "name": department.code.0,
            "title": department.name,
            "type": "organization",
            "is_organization": true,
            "state": "active",
        },
        "owner_org": department.code.0,
        "groups": groups,
        "tags": tags,
        "num_tags": d.keywords.len(),
        "resources": resources,
        "num_resources": d.resources.len(),
        "extras": [
            { "key": "open_type", "value": d.open_type.label() },
            { "key": "update_frequency", "value": d.update_frequency.label() },
            { "key": "level", "value": d.level.label() },
            { "key": "region", "value": d.region.0 },
            { "key": "region_name", "value": divisions.full_name(&d.region.0) },
            { "key": "high_value", "value": d.high_value.to_string() },
            { "key": "dcat", "value": addresses.url(&format!("datasets/{}.ttl", d.id)) },
        ],
    })
}
