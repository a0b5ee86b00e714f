//! The machine-readable catalog: DCAT-AP 3 descriptions of the public catalog serialised as
//! Turtle, JSON-LD and RDF/XML ([`dcat`]), schema.org descriptions embedded in pages
//! ([`schema_org`]) and the sitemap ([`sitemap`]).
//!
//! Everything here reads the same [`PublicCatalog`](crate::policy::PublicCatalog) as the pages,
//! so a dataset the policy withholds cannot appear in these files either.

pub mod dcat;
pub mod schema_org;
pub mod sitemap;

use oxrdf::Triple;

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

    /// The triples in this format, with the catalog's prefixes.
    pub fn serialise(self, triples: &[Triple]) -> Vec<u8> {
        // Writing to a Vec cannot fail, and every prefix IRI is a valid constant.
        let written = match self {
            RdfFormat::Turtle => {
                let mut serializer = oxttl::TurtleSerializer::new();
                for (name, iri) in dcat::PREFIXES {
                    serializer = serializer
                        .with_prefix(*name, *iri)
                        .expect("prefix IRIs are valid");
                }
                let mut writer = serializer.for_writer(Vec::new());
                triples
                    .iter()
                    .try_for_each(|t| writer.serialize_triple(t))
                    .and_then(|()| writer.finish())
            }
            RdfFormat::JsonLd => {
                let mut serializer = oxjsonld::JsonLdSerializer::new();
                for (name, iri) in dcat::PREFIXES {
                    serializer = serializer
                        .with_prefix(*name, *iri)
                        .expect("prefix IRIs are valid");
                }
                let mut writer = serializer.for_writer(Vec::new());
                triples
                    .iter()
                    .try_for_each(|t| {
                        writer
                            .serialize_quad(t.as_ref().in_graph(oxrdf::GraphNameRef::DefaultGraph))
                    })
                    .and_then(|()| writer.finish())
            }
            RdfFormat::RdfXml => {
                let mut serializer = oxrdfxml::RdfXmlSerializer::new();
                for (name, iri) in dcat::PREFIXES {
                    serializer = serializer
                        .with_prefix(*name, *iri)
                        .expect("prefix IRIs are valid");
                }
                let mut writer = serializer.for_writer(Vec::new());
                triples
                    .iter()
                    .try_for_each(|t| writer.serialize_triple(t))
                    .and_then(|()| writer.finish())
            }
        };
        written.unwrap_or_default()
    }
}
