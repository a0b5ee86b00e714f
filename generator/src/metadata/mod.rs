//! The machine-readable catalog: DCAT-AP 3 descriptions of the public catalog serialised as
//! Turtle, JSON-LD and RDF/XML ([`dcat`]), schema.org descriptions embedded in pages
//! ([`schema_org`]), Atom feeds ([`atom`]), a static CKAN API ([`ckan`]), the sitemap
//! ([`sitemap`]), Project Open Data `data.json` ([`pod`]), a Data Package per dataset
//! ([`datapackage`]) and the catalog as a spreadsheet ([`spreadsheet`]).
//!
//! Everything here reads the same [`PublicCatalog`](crate::policy::PublicCatalog) as the pages,
//! so a dataset the policy withholds cannot appear in these files either.

pub mod atom;
pub mod ckan;
pub mod datapackage;
pub mod dcat;
pub mod pod;
pub mod schema_org;
pub mod sitemap;
pub mod spreadsheet;

use oxrdf::Triple;

use crate::model::{Resource, ResourceLocation};

/// Whether XML 1.0 allows a character in text (a record may hold `\f` or `\u{1}` through
/// YAML escapes, and one would make a whole XML file unreadable).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r')
        || ('\u{20}'..='\u{D7FF}').contains(&c)
        || ('\u{E000}'..='\u{FFFD}').contains(&c)
        || c >= '\u{10000}'
}

/// Text escaped for XML content or an attribute value, without the characters XML forbids.
/// The Atom feeds and the sitemap write their XML with it. The escaping is the pages' own
/// ([`escape_html`](crate::render::escape_html)), whose forms the build's auditor looks for.
pub(crate) fn xml_escape(text: &str) -> String {
    let allowed: String = text.chars().filter(|&c| is_xml_char(c)).collect();
    crate::render::escape_html(&allowed)
}

/// An address as a URI: everything outside printable ASCII, and the characters no URI may
/// hold, percent-encoded as UTF-8.
pub(crate) fn as_uri(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    for c in address.trim().chars() {
        if c.is_ascii_graphic()
            && !matches!(c, '"' | '<' | '>' | '{' | '}' | '|' | '\\' | '^' | '`')
        {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// A dataset's description: its summary as plain text, or its title when the summary is
/// empty (every format the portal publishes requires one).
pub(crate) fn description(d: &crate::model::Dataset) -> &str {
    let summary = d.summary_text.trim();
    if summary.is_empty() {
        &d.title
    } else {
        summary
    }
}

/// The address a resource is downloaded from: a file published beside the dataset page
/// (`page` is the page's address), or the record's own address. As in the DCAT documents, an
/// address that is not a valid IRI is not published; the dataset page stands in for it.
pub(crate) fn resource_address(page: &str, resource: &Resource) -> String {
    match &resource.location {
        ResourceLocation::File { .. } => format!(
            "{page}{}",
            crate::render::percent_encode_path(&resource.published_path().unwrap_or_default())
        ),
        ResourceLocation::Url { url } => oxrdf::NamedNode::new(url.trim())
            .map(|n| n.into_string())
            .unwrap_or_else(|_| page.to_string()),
    }
}

/// An RDF serialisation the portal publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RdfFormat {
    /// Turtle (`.ttl`).
    Turtle,
    /// JSON-LD (`.jsonld`).
    JsonLd,
    /// RDF/XML (`.rdf`).
    RdfXml,
}

impl RdfFormat {
    /// Every format, in the order pages list them.
    pub const ALL: [RdfFormat; 3] = [RdfFormat::Turtle, RdfFormat::JsonLd, RdfFormat::RdfXml];

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "ttl",
            RdfFormat::JsonLd => "jsonld",
            RdfFormat::RdfXml => "rdf",
        }
    }

    /// The media type, as `<link rel="alternate" type=…>` announces it.
    pub fn media_type(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "text/turtle",
            RdfFormat::JsonLd => "application/ld+json",
            RdfFormat::RdfXml => "application/rdf+xml",
        }
    }

    /// The triples in this format, with the catalog's prefixes. Writing to memory fails only
    /// when a serialiser refuses a triple.
    pub fn serialise<'a>(
        self,
        triples: impl IntoIterator<Item = &'a Triple>,
    ) -> std::io::Result<Vec<u8>> {
        match self {
            RdfFormat::Turtle => {
                let serializer = with_prefixes(oxttl::TurtleSerializer::new(), |s, n, i| {
                    s.with_prefix(n, i)
                });
                let mut writer = serializer.for_writer(Vec::new());
                for t in triples {
                    writer.serialize_triple(t)?;
                }
                writer.finish()
            }
            RdfFormat::JsonLd => {
                let serializer = with_prefixes(oxjsonld::JsonLdSerializer::new(), |s, n, i| {
                    s.with_prefix(n, i)
                });
                let mut writer = serializer.for_writer(Vec::new());
                for t in triples {
                    writer
                        .serialize_quad(t.as_ref().in_graph(oxrdf::GraphNameRef::DefaultGraph))?;
                }
                writer.finish()
            }
            RdfFormat::RdfXml => {
                let serializer = with_prefixes(oxrdfxml::RdfXmlSerializer::new(), |s, n, i| {
                    s.with_prefix(n, i)
                });
                let mut writer = serializer.for_writer(Vec::new());
                for t in triples {
                    writer.serialize_triple(t)?;
                }
                writer.finish()
            }
        }
    }
}

/// A serialiser with every prefix of [`dcat::PREFIXES`] declared.
fn with_prefixes<S>(
    serializer: S,
    add: impl Fn(S, &'static str, &'static str) -> Result<S, oxrdf::IriParseError>,
) -> S {
    dcat::PREFIXES.iter().fold(serializer, |s, (name, iri)| {
        add(s, name, iri).expect("prefix IRIs are valid constants")
    })
}
