//! `/data.json`: the public catalog in the Project Open Data metadata schema v1.1, the form
//! data.gov and many CKAN harvesters read.
//!
//! The schema was written for US federal agencies. Two of its required fields,
//! `bureauCode` and `programCode`, are OMB codes that no Chinese department has; the file
//! carries [`NO_BUREAU`] and [`NO_PROGRAM`] there (the code of no agency), as docs/metadata.md
//! explains. Open types map onto `accessLevel`: 无条件开放 is `public`, 有条件开放 is
//! `restricted public` with its conditions in `rights`; 不予开放 never reaches here.

use rayon::prelude::*;
use serde::Serialize;

use super::as_uri;
use super::dcat::Addresses;
use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::model::{Contact, Dataset, Department, OpenType, ResourceLocation, UpdateFrequency};
use crate::policy::PublicCatalog;

/// Where the file is published.
pub const PATH: &str = "data.json";

/// The `bureauCode` of every dataset: no OMB agency (the field is required, the code
/// system is the US federal government's).
pub const NO_BUREAU: &str = "000:00";

/// The `programCode` of every dataset, for the same reason as [`NO_BUREAU`].
pub const NO_PROGRAM: &str = "000:000";

/// The catalog, without its datasets (they are written between its brackets one by one).
#[derive(Serialize)]
struct Head<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "conformsTo")]
    conforms_to: &'static str,
    #[serde(rename = "describedBy")]
    described_by: &'static str,
    /// Always empty here: the datasets are spliced in by [`data_json`].
    dataset: [&'a (); 0],
}

/// One dataset of `data.json`.
#[derive(Serialize)]
struct PodDataset<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    identifier: String,
    title: &'a str,
    description: &'a str,
    keyword: Vec<&'a str>,
    modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    issued: Option<String>,
    publisher: Organization<'a>,
    #[serde(rename = "contactPoint")]
    contact_point: ContactPoint<'a>,
    #[serde(rename = "accessLevel")]
    access_level: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rights: Option<String>,
    #[serde(rename = "bureauCode")]
    bureau_code: [&'static str; 1],
    #[serde(rename = "programCode")]
    program_code: [&'static str; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    license: Option<String>,
    spatial: String,
    #[serde(rename = "accrualPeriodicity")]
    accrual_periodicity: &'static str,
    language: [&'static str; 1],
    #[serde(rename = "landingPage")]
    landing_page: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    theme: Option<[&'a str; 1]>,
    #[serde(rename = "describedBy", skip_serializing_if = "Option::is_none")]
    described_by: Option<String>,
    #[serde(rename = "describedByType", skip_serializing_if = "Option::is_none")]
    described_by_type: Option<&'static str>,
    distribution: Vec<Distribution<'a>>,
}

#[derive(Serialize)]
struct Organization<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
}

#[derive(Serialize)]
struct ContactPoint<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "fn")]
    name: &'a str,
    #[serde(rename = "hasEmail", skip_serializing_if = "Option::is_none")]
    email: Option<String>,
}

#[derive(Serialize)]
struct Distribution<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    title: &'a str,
    format: &'a str,
    #[serde(rename = "mediaType", skip_serializing_if = "Option::is_none")]
    media_type: Option<&'static str>,
    #[serde(rename = "downloadURL", skip_serializing_if = "Option::is_none")]
    download_url: Option<String>,
    #[serde(rename = "accessURL", skip_serializing_if = "Option::is_none")]
    access_url: Option<String>,
}

/// The `accrualPeriodicity` of an update frequency: an ISO 8601 repeating duration, as the
/// schema's frequency table lists them.
pub fn periodicity(frequency: UpdateFrequency) -> &'static str {
    match frequency {
        UpdateFrequency::Realtime => "R/PT1S",
        UpdateFrequency::Daily => "R/P1D",
        UpdateFrequency::Weekly => "R/P1W",
        UpdateFrequency::Monthly => "R/P1M",
        UpdateFrequency::Quarterly => "R/P3M",
        UpdateFrequency::HalfYearly => "R/P6M",
        UpdateFrequency::Yearly => "R/P1Y",
        UpdateFrequency::Irregular => "irregular",
    }
}

/// The `accessLevel` of an open type.
pub fn access_level(open_type: OpenType) -> &'static str {
    match open_type {
        OpenType::Unconditional => "public",
        OpenType::Conditional => "restricted public",
        OpenType::NotOpen => "non-public",
    }
}

/// Whether an e-mail address has the form the schema's `hasEmail` pattern accepts.
pub(crate) fn is_plain_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_~!$&'()*+,;=:.-".contains(c));
    let domain_ok = domain.contains('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    local_ok && domain_ok
}

/// The first of the record's contact and its department's contacts that has an e-mail
/// address the schema accepts.
fn contact_with_email<'a>(d: &'a Dataset, department: &'a Department) -> Option<&'a Contact> {
    d.contact
        .iter()
        .chain(&department.contacts)
        .find(|c| has_plain_email(c))
}

/// Whether a contact has an e-mail address `data.json` can name.
fn has_plain_email(contact: &Contact) -> bool {
    contact
        .email
        .as_deref()
        .is_some_and(|e| is_plain_email(e.trim()))
}

/// The contact `data.json` names for a dataset: the first of the record's contact, then its
/// department's contacts, that has an e-mail address the schema accepts; else the
/// platform's own address (`contact_email` in `site.toml`) under the operator's name.
fn contact_point<'a>(
    d: &'a Dataset,
    department: &'a Department,
    config: &'a SiteConfig,
) -> ContactPoint<'a> {
    match contact_with_email(d, department) {
        Some(contact) => ContactPoint {
            kind: "vcard:Contact",
            name: &contact.name,
            email: contact
                .email
                .as_deref()
                .map(|e| format!("mailto:{}", e.trim())),
        },
        None => ContactPoint {
            kind: "vcard:Contact",
            name: if config.operator.is_empty() {
                &config.title
            } else {
                &config.operator
            },
            email: Some(config.contact_email.trim())
                .filter(|e| is_plain_email(e))
                .map(|e| format!("mailto:{e}")),
        },
    }
}

/// A warning when `data.json` would name a contact without an e-mail address (the schema
/// requires one): some public dataset's record and department give none, and `site.toml`
/// has no usable `contact_email`. Looks at the datasets only when `contact_email` is unusable.
pub fn missing_contact(
    catalog: &PublicCatalog,
    config: &SiteConfig,
) -> Option<crate::diagnostics::Diagnostic> {
    if is_plain_email(config.contact_email.trim()) {
        return None;
    }
    // As `data_json`: datasets of a known department, without a contact it can name. Only
    // departments without an address of their own can have one, and most have one: the
    // datasets are read (in parallel, as this pass is bound by memory) only when some lack it.
    let without_email: foldhash::HashSet<&str> = catalog
        .departments
        .iter()
        .filter(|(_, department)| department.contacts.iter().all(|c| !has_plain_email(c)))
        .map(|(code, _)| code.0.as_str())
        .collect();
    if without_email.is_empty() {
        return None;
    }
    let without = catalog
        .datasets
        .par_iter()
        .filter(|d| {
            without_email.contains(d.department.0.as_str())
                && d.contact.iter().all(|c| !has_plain_email(c))
        })
        .count();
    (without > 0).then(|| {
        crate::diagnostics::Diagnostic::warning(
            "data-json-contact",
            "site.toml",
            format!(
                "{without} public dataset(s) have no contact e-mail address in their record or \
                 department, and `contact_email` is not set: data.json names their contact \
                 without `hasEmail`, which the Project Open Data schema requires"
            ),
        )
        .help(
            "set `contact_email = \"…\"` in site.toml (the platform's address), or give the \
             departments a contact with an e-mail address",
        )
    })
}

/// One dataset as `data.json` describes it.
fn describe<'a>(
    d: &'a Dataset,
    department: &'a Department,
    config: &'a SiteConfig,
    divisions: &Divisions,
    addresses: &Addresses,
    build_date: chrono::NaiveDate,
) -> PodDataset<'a> {
    let page = addresses.url(&format!("datasets/{}/", d.id));
    let mut keyword: Vec<&str> = d
        .keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .collect();
    let domain = config.domain_by_slug(&d.domain);
    if keyword.is_empty() {
        // The schema asks for at least one keyword; the domain is the best one there is.
        keyword.extend(domain.map(|x| x.name.as_str()));
    }
    let rights = d.open_conditions.as_deref().map(|text| {
        // The schema allows 255 characters.
        text.trim().chars().take(255).collect::<String>()
    });
    let license = d.license.as_deref().and_then(|name| {
        super::dcat::licence_url(name)
            .map(str::to_string)
            .or_else(|| {
                let name = name.trim();
                crate::validate::is_http_url(name).then(|| as_uri(name))
            })
    });
    let distribution = d
        .resources
        .iter()
        .map(|r| {
            let address = as_uri(&super::resource_address(&page, r));
            let is_file = matches!(r.location, ResourceLocation::File { .. });
            Distribution {
                kind: "dcat:Distribution",
                title: &r.title,
                format: &r.format,
                // The schema requires a media type beside a download address.
                media_type: super::dcat::media_type(&r.format)
                    .map(|(m, _)| m)
                    .or(is_file.then_some("application/octet-stream")),
                download_url: is_file.then(|| address.clone()),
                access_url: (!is_file).then_some(address),
            }
        })
        .collect();
    PodDataset {
        kind: "dcat:Dataset",
        identifier: as_uri(addresses.dataset(&d.id.0).as_str()),
        title: &d.title,
        description: super::description(d),
        keyword,
        modified: d.last_change().unwrap_or(build_date).to_string(),
        issued: d.issued.map(|date| date.to_string()),
        publisher: Organization {
            kind: "org:Organization",
            name: &department.name,
        },
        contact_point: contact_point(d, department, config),
        access_level: access_level(d.open_type),
        rights,
        bureau_code: [NO_BUREAU],
        program_code: [NO_PROGRAM],
        license,
        spatial: divisions.full_name(&d.region.0),
        accrual_periodicity: periodicity(d.update_frequency),
        language: ["zh-CN"],
        landing_page: as_uri(&page),
        theme: domain.map(|x| [x.name.as_str()]),
        described_by: (!d.fields.is_empty())
            .then(|| as_uri(&addresses.url(&super::datapackage::path(&d.id.0)))),
        described_by_type: (!d.fields.is_empty()).then_some("application/json"),
        distribution,
    }
}

/// `data.json`: every public dataset, in catalog (id) order, one per line, so a diff of two
/// versions shows the datasets that changed. Written to `out` dataset by dataset: at 100,000
/// datasets the file is some 110 MB, which is never held in memory.
pub fn write_data_json(
    out: &mut dyn std::io::Write,
    catalog: &PublicCatalog,
    config: &SiteConfig,
    divisions: &Divisions,
    addresses: &Addresses,
    build_date: chrono::NaiveDate,
) -> std::io::Result<()> {
    let head = Head {
        context: "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        id: as_uri(&addresses.url(PATH)),
        kind: "dcat:Catalog",
        conforms_to: "https://project-open-data.cio.gov/v1.1/schema",
        described_by: "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        dataset: [],
    };
    let head = serde_json::to_vec(&head).expect("the catalog head serialises");
    // `…"dataset":[]}`: the datasets go between the brackets.
    let open = head.len() - 2;
    out.write_all(&head[..open])?;
    let mut first = true;
    for d in &catalog.datasets {
        let Some(department) = catalog.departments.get(&d.department) else {
            continue;
        };
        out.write_all(if first { b"\n" } else { b",\n" })?;
        first = false;
        let described = describe(d, department, config, divisions, addresses, build_date);
        serde_json::to_writer(&mut *out, &described).map_err(std::io::Error::from)?;
    }
    if !first {
        out.write_all(b"\n")?;
    }
    out.write_all(&head[open..])?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_the_schema_rejects_are_not_offered() {
        assert!(is_plain_email("open-data@example.gov.cn"));
        assert!(!is_plain_email("数据@example.gov.cn"));
        assert!(!is_plain_email("no-at-sign.example"));
        assert!(!is_plain_email("a@localhost"));
        assert!(!is_plain_email("a b@example.org"));
    }

    #[test]
    fn addresses_become_uris() {
        assert_eq!(
            as_uri("https://example.org/数据 集?a=1"),
            "https://example.org/%E6%95%B0%E6%8D%AE%20%E9%9B%86?a=1"
        );
        assert_eq!(
            as_uri("https://example.org/a-b/"),
            "https://example.org/a-b/"
        );
    }
}
