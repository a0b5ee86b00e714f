//! `datasets/<id>/datapackage.json`: each dataset as a Frictionless Data Package, with a
//! Table Schema built from its 数据项 on every tabular resource, so `frictionless validate`
//! checks the published files against what the department declared.
//!
//! A file resource's `path` is relative (`files/bus-stops.csv`, beside the descriptor), so a
//! copied or mirrored site stays a valid package; a resource published elsewhere keeps its
//! address.

use serde::Serialize;

use super::dcat::Addresses;
use crate::model::{Dataset, Department, Field, ResourceLocation};

/// Where the descriptor of a dataset is published.
pub fn path(id: &str) -> String {
    format!("datasets/{id}/datapackage.json")
}

#[derive(Serialize)]
struct Package<'a> {
    profile: &'static str,
    name: &'a str,
    id: String,
    title: &'a str,
    description: &'a str,
    homepage: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    keywords: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<License<'a>>,
    contributors: [Contributor<'a>; 1],
    resources: Vec<PackageResource<'a>>,
}

#[derive(Serialize)]
struct License<'a> {
    path: &'static str,
    title: &'a str,
}

#[derive(Serialize)]
struct Contributor<'a> {
    title: &'a str,
    role: &'static str,
    path: String,
}

#[derive(Serialize)]
struct PackageResource<'a> {
    profile: &'static str,
    name: String,
    path: String,
    title: &'a str,
    format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    mediatype: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    encoding: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    schema: Option<TableSchema<'a>>,
}

/// A Table Schema (<https://specs.frictionlessdata.io/table-schema/>).
#[derive(Serialize)]
struct TableSchema<'a> {
    fields: Vec<SchemaField<'a>>,
}

#[derive(Serialize)]
struct SchemaField<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

/// The Table Schema type of a 数据项 type as departments write it (字符串, 整数, 小数, 日期 …).
/// A type it does not know is `string`, which accepts any cell.
pub fn field_type(kind: Option<&str>) -> &'static str {
    let Some(kind) = kind.map(str::trim) else {
        return "string";
    };
    let lower = kind.to_ascii_lowercase();
    match lower.as_str() {
        "整数" | "整型" | "integer" | "int" | "long" => "integer",
        "小数" | "数值" | "浮点" | "浮点数" | "数字" | "金额" | "number" | "float" | "double"
        | "decimal" => "number",
        "日期" | "date" => "date",
        "日期时间" | "时间戳" | "datetime" | "timestamp" => "datetime",
        "布尔" | "布尔值" | "是否" | "boolean" | "bool" => "boolean",
        "年份" | "年" | "year" => "year",
        _ => "string",
    }
}

/// Whether a format is a table a Table Schema describes.
fn is_tabular(format: &str) -> bool {
    matches!(
        format.to_ascii_uppercase().as_str(),
        "CSV" | "XLSX" | "XLS" | "TSV"
    )
}

/// A name the Data Package spec accepts (`^[a-z0-9._-]+$`) for resource `n` of a dataset,
/// made from its file name when it has one, else from its format.
fn resource_name(published: Option<&str>, format: &str, n: usize, taken: &[String]) -> String {
    let stem = published
        .and_then(|p| p.rsplit('/').next())
        .map(|file| file.rsplit_once('.').map_or(file, |(stem, _)| stem))
        .unwrap_or(format);
    let mut name: String = stem
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = name.trim_matches('-').to_string();
    if !stem.is_empty() {
        name.clone_from(&stem);
    }
    let mut suffix = n + 1;
    while stem.is_empty() && name.trim_matches('-').is_empty() || taken.contains(&name) {
        name = if stem.is_empty() {
            format!("resource-{suffix}")
        } else {
            format!("{stem}-{suffix}")
        };
        suffix += 1;
    }
    name
}

/// The description of a field: what it means and its unit.
fn field_description(field: &Field) -> Option<String> {
    match (&field.description, &field.unit) {
        (Some(d), Some(u)) => Some(format!("{d}（单位：{u}）")),
        (Some(d), None) => Some(d.clone()),
        (None, Some(u)) => Some(format!("单位：{u}")),
        (None, None) => None,
    }
}

/// The descriptor of a dataset, as the file's bytes.
pub fn descriptor(d: &Dataset, department: &Department, addresses: &Addresses) -> Vec<u8> {
    let page = addresses.url(&format!("datasets/{}/", d.id));
    let schema = || TableSchema {
        fields: d
            .fields
            .iter()
            .map(|f| SchemaField {
                name: &f.name,
                kind: field_type(f.kind.as_deref()),
                description: field_description(f),
            })
            .collect(),
    };
    let mut names = Vec::new();
    let mut resources = Vec::new();
    for (n, r) in d.resources.iter().enumerate() {
        let published = r.published_path();
        let name = resource_name(published.as_deref(), &r.format, n, &names);
        names.push(name.clone());
        let tabular = is_tabular(&r.format) && !d.fields.is_empty();
        let is_file = matches!(r.location, ResourceLocation::File { .. });
        let (path, bytes, hash) = match &r.location {
            ResourceLocation::File { size, sha256, .. } => (
                published.unwrap_or_default(),
                Some(*size),
                Some(format!("sha256:{sha256}")),
            ),
            ResourceLocation::Url { .. } => (super::resource_address(&page, r), None, None),
        };
        resources.push(PackageResource {
            profile: if tabular {
                "tabular-data-resource"
            } else {
                "data-resource"
            },
            name,
            // A relative path names the file as it is on disk; only addresses are URIs.
            path: if is_file { path } else { super::as_uri(&path) },
            title: &r.title,
            format: r.format.to_ascii_lowercase(),
            mediatype: super::dcat::media_type(&r.format).map(|(m, _)| m),
            // Files the portal serves are checked as UTF-8 text when tabular.
            encoding: (tabular && is_file && r.format.eq_ignore_ascii_case("CSV"))
                .then_some("utf-8"),
            bytes,
            hash,
            schema: tabular.then(schema),
        });
    }
    let licenses = d
        .license
        .as_deref()
        .and_then(|name| {
            super::dcat::licence_url(name).map(|url| License {
                path: url,
                title: name,
            })
        })
        .into_iter()
        .collect();
    let package = Package {
        // A tabular package is one whose every resource is a table.
        profile: if !resources.is_empty() && resources.iter().all(|r| r.schema.is_some()) {
            "tabular-data-package"
        } else {
            "data-package"
        },
        name: &d.id.0,
        id: super::as_uri(addresses.dataset(&d.id.0).as_str()),
        title: &d.title,
        description: super::description(d),
        homepage: super::as_uri(&page),
        keywords: d.keywords.iter().map(String::as_str).collect(),
        licenses,
        contributors: [Contributor {
            title: &department.name,
            role: "publisher",
            path: addresses.url(&format!("departments/{}/", department.code.0)),
        }],
        resources,
    };
    let mut bytes = serde_json::to_vec_pretty(&package).expect("a package serialises");
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_types_map_onto_table_schema_types() {
        assert_eq!(field_type(Some("整数")), "integer");
        assert_eq!(field_type(Some("小数")), "number");
        assert_eq!(field_type(Some(" 日期 ")), "date");
        assert_eq!(field_type(Some("枚举")), "string");
        assert_eq!(field_type(None), "string");
    }

    #[test]
    fn resource_names_are_valid_and_unique() {
        let mut taken = Vec::new();
        for (published, format) in [
            (Some("files/Bus Stops.csv"), "CSV"),
            (Some("files/公交.csv"), "CSV"),
            (None, "CSV"),
            (None, "CSV"),
            (Some("files/csv-5.csv"), "CSV"),
            (Some("files/csv.json"), "JSON"),
        ] {
            let name = resource_name(published, format, taken.len(), &taken);
            assert!(
                !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c)),
                "{name}"
            );
            assert!(!taken.contains(&name), "{name} twice");
            taken.push(name);
        }
        assert_eq!(
            taken,
            ["bus-stops", "resource-2", "csv", "csv-4", "csv-5", "csv-6"]
        );
    }
}
