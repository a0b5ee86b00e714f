//! DCAT-AP 3 descriptions of the public catalog.
//!
//! Each document is a list of triples built with `oxrdf` and serialised by
//! [`RdfFormat::serialise`](super::RdfFormat::serialise); nothing is written by concatenating
//! strings. The mapping of our fields:
//!
//! | record | DCAT-AP |
//! |---|---|
//! | 开放类型 | `dct:accessRights`: EU access-right `PUBLIC` (无条件开放) or `RESTRICTED` (有条件开放) |
//! | 更新频率 | `dct:accrualPeriodicity`: EU frequency vocabulary |
//! | 数据领域 | `dcat:theme`: a concept of our own scheme, published at `/themes.ttl` |
//! | 地区 | `dct:spatial`: the region's page, a `dct:Location` with its name |
//! | 数据项 | `dct:conformsTo`: a CSVW table schema, one column per item |
//! | 数据资源 | `dcat:Distribution` with `dcat:byteSize`, `spdx:checksum` and `dcat:mediaType` |
//!
//! Every node is named (no blank nodes), so documents that describe the same dataset merge
//! cleanly. Subjects are the portal's own addresses: a dataset is `<base>datasets/<id>/#dataset`, its
//! page `<base>datasets/<id>/`, a department `<base>departments/<code>/#publisher`.

use oxrdf::vocab::{rdf, rdfs, xsd};
use oxrdf::{Literal, NamedNode, NamedOrBlankNode, Term, Triple};

use crate::config::SiteConfig;
use crate::divisions::Divisions;
use crate::model::{Dataset, Department, OpenType, ResourceLocation, UpdateFrequency};

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const SPDX: &str = "http://spdx.org/rdf/terms#";
const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const CSVW: &str = "http://www.w3.org/ns/csvw#";
const EU_ACCESS: &str = "http://publications.europa.eu/resource/authority/access-right/";
const EU_FREQUENCY: &str = "http://publications.europa.eu/resource/authority/frequency/";
const EU_LANGUAGE: &str = "http://publications.europa.eu/resource/authority/language/";
const EU_FILE_TYPE: &str = "http://publications.europa.eu/resource/authority/file-type/";
const IANA_MEDIA: &str = "https://www.iana.org/assignments/media-types/";
const EU_AVAILABILITY: &str =
    "http://publications.europa.eu/resource/authority/planned-availability/";
const EU_PUBLISHER_TYPE: &str = "http://purl.org/adms/publishertype/";
const DCATAP: &str = "http://data.europa.eu/r5r/";

/// The prefixes every serialisation declares.
pub const PREFIXES: &[(&str, &str)] = &[
    ("dcat", DCAT),
    ("dct", DCT),
    ("foaf", FOAF),
    ("vcard", VCARD),
    ("skos", SKOS),
    ("spdx", SPDX),
    ("hydra", HYDRA),
    ("csvw", CSVW),
    ("dcatap", DCATAP),
    ("rdfs", "http://www.w3.org/2000/01/rdf-schema#"),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
];

/// The language of every text in the catalog.
const LANGUAGE: &str = "zh";

/// Datasets per catalog page at most, on average: see [`page_count`]. Small enough that an
/// edit rewrites well under a megabyte of each RDF format.
pub const PAGE_SIZE: usize = 250;

/// The number of pages of a catalog of `datasets`: the smallest power of two that keeps
/// pages at [`PAGE_SIZE`] datasets or fewer on average. A power of two, so that datasets are
/// dealt to other pages only when the catalog doubles or halves, not every few hundred
/// additions or takedowns; pages then hold between half and all of [`PAGE_SIZE`] on average.
pub fn page_count(datasets: usize) -> usize {
    datasets.div_ceil(PAGE_SIZE).next_power_of_two()
}

/// The catalog page (from 1) of a dataset, out of `pages`: a stable hash of its id (FNV-1a,
/// the same in every build and version), so a dataset stays on its page while others come
/// and go. Pages hold about the average [`page_count`] gives, a few percent either way.
pub fn page_of(id: &str, pages: usize) -> usize {
    page_by_spread(mirror::manifest::spread(id), pages)
}

/// [`page_of`] for an id whose spread ([`mirror::manifest::spread`]) is known.
pub fn page_by_spread(spread: u64, pages: usize) -> usize {
    // The same FNV-1a spread the mirror manifest's parts use.
    (spread % pages.max(1) as u64) as usize + 1
}

fn iri(namespace: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{namespace}{local}"))
}

/// The portal's addresses, from `base_url` (checked when `site.toml` is read), or
/// `http://localhost/` when the site has none, so the files still parse.
#[derive(Debug, Clone)]
pub struct Addresses {
    base: String,
}

impl Addresses {
    /// The addresses of a site.
    pub fn new(config: &SiteConfig) -> Addresses {
        let base = config.base_url.trim();
        let base = if NamedNode::new(base).is_ok()
            && (base.starts_with("https://") || base.starts_with("http://"))
        {
            base.trim_end_matches('/').to_string() + "/"
        } else {
            "http://localhost/".to_string()
        };
        Addresses { base }
    }

    /// The absolute address of a site path (`datasets/x/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn node(&self, path: &str) -> NamedNode {
        // Paths are made of validated ids, codes and slugs; a path that is not a valid IRI
        // still gets a node, percent-encoded.
        let url = self.url(path);
        NamedNode::new(&url).unwrap_or_else(|_| NamedNode::new_unchecked(encode(&url)))
    }

    /// The catalog.
    pub fn catalog(&self) -> NamedNode {
        self.node("#catalog")
    }

    /// A dataset.
    pub fn dataset(&self, id: &str) -> NamedNode {
        self.node(&format!("datasets/{id}/#dataset"))
    }

    /// A department, as publisher.
    pub fn publisher(&self, code: &str) -> NamedNode {
        self.node(&format!("departments/{code}/#publisher"))
    }

    /// The platform operator, publisher of the catalog.
    fn operator(&self) -> NamedNode {
        self.node("#operator")
    }

    /// The theme scheme.
    pub fn themes(&self) -> NamedNode {
        self.node("themes.ttl#scheme")
    }

    /// The theme of a domain.
    pub fn theme(&self, slug: &str) -> NamedNode {
        self.node(&format!("domains/{slug}/#theme"))
    }
}

/// Percent-encodes what an IRI may not hold (spaces, quotes, angle brackets, controls).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control()
            || matches!(
                c,
                ' ' | '"' | '<' | '>' | '{' | '}' | '|' | '\\' | '^' | '`'
            )
        {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Text as every serialisation can carry it alike: line ends as `\n` (an XML parser turns a
/// raw `\r` into `\n`, so RDF/XML would otherwise hold another graph) and without the
/// characters XML 1.0 forbids (a record may hold `\f` or `\u{1}` through YAML escapes, and
/// one would make the whole RDF/XML catalog page unreadable).
fn literal_text(text: &str) -> String {
    text.trim()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| super::is_xml_char(c))
        .collect()
}

/// Triples under construction.
#[derive(Default)]
struct Graph {
    triples: Vec<Triple>,
    /// Nodes whose description (class, label) is already in the document: a catalog page
    /// names the same publisher, vocabulary terms and places for many datasets.
    described: foldhash::HashSet<String>,
}

impl Graph {
    fn add(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNode, o: impl Into<Term>) {
        self.triples.push(Triple::new(s, p, o));
    }

    fn text(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNode, text: &str) {
        let text = literal_text(text);
        if !text.is_empty() {
            self.add(
                s,
                p,
                Literal::new_language_tagged_literal_unchecked(text, LANGUAGE),
            );
        }
    }

    /// A plain (untagged) string.
    fn plain(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNode, text: &str) {
        self.add(s, p, Literal::new_simple_literal(literal_text(text)));
    }

    fn typed(
        &mut self,
        s: impl Into<NamedOrBlankNode>,
        p: NamedNode,
        value: &str,
        kind: oxrdf::NamedNodeRef<'_>,
    ) {
        self.add(s, p, Literal::new_typed_literal(value, kind));
    }

    fn a(&mut self, s: impl Into<NamedOrBlankNode>, class: NamedNode) {
        self.add(s, rdf::TYPE.into_owned(), class);
    }

    /// Whether `node` is described here for the first time (and from now on, described).
    fn first(&mut self, node: &NamedNode) -> bool {
        self.described.insert(node.as_str().to_string())
    }

    /// `s p document`, declaring the object a `foaf:Document` (a web page).
    fn page(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNode, document: NamedNode) {
        if self.first(&document) {
            self.a(document.clone(), iri(FOAF, "Document"));
        }
        self.add(s, p, document);
    }
}

/// The EU access right of an open type. 不予开放 never reaches here (the policy withholds it).
fn access_right(open_type: OpenType) -> (&'static str, &'static str) {
    match open_type {
        OpenType::Unconditional => ("PUBLIC", "无条件开放"),
        OpenType::Conditional => ("RESTRICTED", "有条件开放"),
        OpenType::NotOpen => ("NON_PUBLIC", "不予开放"),
    }
}

/// The EU frequency of an update frequency.
fn frequency(f: UpdateFrequency) -> &'static str {
    match f {
        UpdateFrequency::Realtime => "UPDATE_CONT",
        UpdateFrequency::Daily => "DAILY",
        UpdateFrequency::Weekly => "WEEKLY",
        UpdateFrequency::Monthly => "MONTHLY",
        UpdateFrequency::Quarterly => "QUARTERLY",
        UpdateFrequency::HalfYearly => "ANNUAL_2",
        UpdateFrequency::Yearly => "ANNUAL",
        UpdateFrequency::Irregular => "IRREG",
    }
}

/// The IANA media type and EU file type of a format name, when known.
pub(crate) fn media_type(format: &str) -> Option<(&'static str, &'static str)> {
    Some(match format.to_ascii_uppercase().as_str() {
        "CSV" => ("text/csv", "CSV"),
        "JSON" => ("application/json", "JSON"),
        "XML" => ("application/xml", "XML"),
        "XLSX" => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "XLSX",
        ),
        "XLS" => ("application/vnd.ms-excel", "XLS"),
        "PDF" => ("application/pdf", "PDF"),
        "ZIP" => ("application/zip", "ZIP"),
        "TXT" => ("text/plain", "TXT"),
        "RDF" => ("application/rdf+xml", "RDF_XML"),
        "TTL" => ("text/turtle", "RDF_TURTLE"),
        "JSONLD" | "JSON-LD" => ("application/ld+json", "JSON_LD"),
        "SHP" => ("application/vnd.shp", "SHP"),
        "DOC" => ("application/msword", "DOC"),
        "GEOJSON" => ("application/geo+json", "GEOJSON"),
        "DOCX" => (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "DOCX",
        ),
        _ => return None,
    })
}

/// The address of a licence named in a record, when it names a known one.
pub(crate) fn licence_url(name: &str) -> Option<&'static str> {
    let key: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect::<String>()
        .to_ascii_uppercase();
    Some(match key.as_str() {
        "CCBY4.0" => "https://creativecommons.org/licenses/by/4.0/",
        "CCBYSA4.0" => "https://creativecommons.org/licenses/by-sa/4.0/",
        "CC04.0" | "CC01.0" | "CC0" => "https://creativecommons.org/publicdomain/zero/1.0/",
        "ODBL" | "ODBL1.0" => "https://opendatacommons.org/licenses/odbl/1-0/",
        "PDDL" | "PDDL1.0" => "https://opendatacommons.org/licenses/pddl/1-0/",
        _ => return None,
    })
}

/// What a dataset document needs besides the dataset.
pub struct Context<'a> {
    /// The site.
    pub config: &'a SiteConfig,
    /// Division names, for `dct:spatial`.
    pub divisions: &'a Divisions,
    /// The portal's addresses.
    pub addresses: &'a Addresses,
}

/// Describes one department as a `foaf:Agent`.
fn publisher(g: &mut Graph, cx: &Context<'_>, department: &Department) -> NamedNode {
    let node = cx.addresses.publisher(&department.code.0);
    if !g.first(&node) {
        return node;
    }
    g.a(node.clone(), iri(FOAF, "Agent"));
    g.text(node.clone(), iri(FOAF, "name"), &department.name);
    // ADMS publisher types: the region's departments are a regional authority, the rest local.
    let (kind, label) = match department.level {
        crate::model::Level::Region => ("RegionalAuthority", "自治区级部门"),
        _ => ("LocalAuthority", "地方部门"),
    };
    let kind = iri(EU_PUBLISHER_TYPE, kind);
    term(g, &kind, iri(SKOS, "Concept"), label);
    g.add(node.clone(), iri(DCT, "type"), kind);
    g.page(
        node.clone(),
        iri(FOAF, "homepage"),
        cx.addresses
            .node(&format!("departments/{}/", department.code.0)),
    );
    node
}

/// Describes a region as a `dct:Location` with its full name.
fn region(g: &mut Graph, cx: &Context<'_>, code: &str) -> NamedNode {
    let node = cx.addresses.node(&format!("regions/{code}/#place"));
    if !g.first(&node) {
        return node;
    }
    g.a(node.clone(), iri(DCT, "Location"));
    let name = cx.divisions.full_name(code);
    g.text(
        node.clone(),
        iri(SKOS, "prefLabel"),
        if name.is_empty() { code } else { &name },
    );
    node
}

/// Declares the class of a vocabulary term the validators cannot look up.
fn term(g: &mut Graph, node: &NamedNode, class: NamedNode, label: &str) {
    if !g.first(node) {
        return;
    }
    g.a(node.clone(), class);
    g.text(node.clone(), iri(SKOS, "prefLabel"), label);
}

/// How much of a dataset a document gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    /// Everything: the dataset's own document.
    Full,
    /// What a harvester needs to list and fetch it (titles, publisher, theme, rights,
    /// frequency, dates, place, keywords, distributions with their addresses, sizes, types and
    /// licence), with `rdfs:seeAlso` to the full document. Catalog pages hold 1,000 datasets
    /// each and one edit rewrites two of them in three formats: the table schema, contact,
    /// checksums and distribution notes stay in the dataset's own document.
    Listed,
}

/// Adds one dataset, its publisher and its distributions; returns the dataset's node.
fn dataset(
    g: &mut Graph,
    cx: &Context<'_>,
    d: &Dataset,
    department: &Department,
    detail: Detail,
) -> NamedNode {
    let a = cx.addresses;
    let node = a.dataset(&d.id.0);
    let page = format!("datasets/{}/", d.id);
    let full = detail == Detail::Full;
    if !full {
        let document = a.node(&format!("datasets/{}.ttl", d.id));
        g.add(node.clone(), rdfs::SEE_ALSO.into_owned(), document);
    }
    g.a(node.clone(), iri(DCAT, "Dataset"));
    g.plain(node.clone(), iri(DCT, "identifier"), &d.id.0);
    g.text(node.clone(), iri(DCT, "title"), &d.title);
    g.text(node.clone(), iri(DCT, "description"), super::description(d));
    for keyword in &d.keywords {
        g.text(node.clone(), iri(DCAT, "keyword"), keyword);
    }
    g.page(node.clone(), iri(DCAT, "landingPage"), a.node(&page));
    let publisher = publisher(g, cx, department);
    g.add(node.clone(), iri(DCT, "publisher"), publisher.clone());
    g.add(node.clone(), iri(DCT, "creator"), publisher);

    let (right, label) = access_right(d.open_type);
    let right = iri(EU_ACCESS, right);
    term(g, &right, iri(DCT, "RightsStatement"), label);
    g.add(node.clone(), iri(DCT, "accessRights"), right);
    if let Some(conditions) = d.open_conditions.as_ref().filter(|_| full) {
        let rights = a.node(&format!("{page}#conditions"));
        g.a(rights.clone(), iri(DCT, "RightsStatement"));
        g.text(rights.clone(), rdfs::LABEL.into_owned(), conditions);
        g.add(node.clone(), iri(DCT, "rights"), rights);
    }
    let periodicity = iri(EU_FREQUENCY, frequency(d.update_frequency));
    term(
        g,
        &periodicity,
        iri(DCT, "Frequency"),
        crate::model::Vocabulary::label(d.update_frequency),
    );
    g.add(node.clone(), iri(DCT, "accrualPeriodicity"), periodicity);

    if let Some(domain) = cx.config.domain_by_slug(&d.domain) {
        let theme = a.theme(&domain.slug);
        if g.first(&theme) {
            g.a(theme.clone(), iri(SKOS, "Concept"));
            g.text(theme.clone(), iri(SKOS, "prefLabel"), &domain.name);
            g.add(theme.clone(), iri(SKOS, "inScheme"), a.themes());
        }
        g.add(node.clone(), iri(DCAT, "theme"), theme);
    }
    let place = region(g, cx, &d.region.0);
    g.add(node.clone(), iri(DCT, "spatial"), place);
    if let Some(issued) = d.issued {
        g.typed(
            node.clone(),
            iri(DCT, "issued"),
            &issued.to_string(),
            xsd::DATE,
        );
    }
    if let Some(modified) = d.last_change() {
        g.typed(
            node.clone(),
            iri(DCT, "modified"),
            &modified.to_string(),
            xsd::DATE,
        );
    }
    let language = iri(EU_LANGUAGE, "ZHO");
    term(g, &language, iri(DCT, "LinguisticSystem"), "中文");
    g.add(node.clone(), iri(DCT, "language"), language);
    // The record's contact, else its department's first.
    if let Some(contact) = d
        .contact
        .as_ref()
        .or(department.contacts.first())
        .filter(|_| full)
    {
        let card = a.node(&format!("{page}#contact"));
        g.a(card.clone(), iri(VCARD, "Kind"));
        g.text(card.clone(), iri(VCARD, "fn"), &contact.name);
        if let Some(email) = &contact.email
            && let Ok(mail) = NamedNode::new(format!("mailto:{}", email.trim()))
        {
            g.add(card.clone(), iri(VCARD, "hasEmail"), mail);
        }
        if let Some(phone) = &contact.phone {
            let digits: String = phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+' || *c == '-')
                .collect();
            if let Ok(tel) = NamedNode::new(format!("tel:{digits}"))
                && !digits.is_empty()
            {
                g.add(card.clone(), iri(VCARD, "hasTelephone"), tel);
            }
        }
        g.add(node.clone(), iri(DCAT, "contactPoint"), card);
    }
    if full && !d.fields.is_empty() {
        let schema = a.node(&format!("{page}#schema"));
        g.a(schema.clone(), iri(DCT, "Standard"));
        g.a(schema.clone(), iri(CSVW, "Schema"));
        g.text(
            schema.clone(),
            iri(DCT, "title"),
            &format!("{}：数据项", d.title),
        );
        for (n, field) in d.fields.iter().enumerate() {
            let column = a.node(&format!("{page}#column-{}", n + 1));
            g.a(column.clone(), iri(CSVW, "Column"));
            g.plain(column.clone(), iri(CSVW, "name"), &field.name);
            g.text(column.clone(), iri(CSVW, "title"), &field.name);
            if let Some(kind) = &field.kind {
                g.text(column.clone(), iri(DCT, "type"), kind);
            }
            if let Some(description) = &field.description {
                g.text(column.clone(), iri(DCT, "description"), description);
            }
            if let Some(unit) = &field.unit {
                g.text(column.clone(), iri(CSVW, "unit"), unit);
            }
            g.add(schema.clone(), iri(CSVW, "column"), column);
        }
        g.add(node.clone(), iri(DCT, "conformsTo"), schema);
    }
    let licence = d.license.as_deref().map(|name| {
        let node = match licence_url(name) {
            Some(url) => NamedNode::new_unchecked(url),
            None => a.node(&format!("{page}#licence")),
        };
        // A known licence is shared by many datasets: described once, by the first.
        if g.first(&node) {
            g.a(node.clone(), iri(DCT, "LicenseDocument"));
            g.text(node.clone(), rdfs::LABEL.into_owned(), name);
        }
        node
    });
    for (n, resource) in d.resources.iter().enumerate() {
        let dist = a.node(&format!("{page}#distribution-{}", n + 1));
        g.a(dist.clone(), iri(DCAT, "Distribution"));
        g.text(dist.clone(), iri(DCT, "title"), &resource.title);
        if full {
            g.text(
                dist.clone(),
                iri(DCT, "description"),
                &format!("{}：{}（{}）", d.title, resource.title, resource.format),
            );
            let availability = iri(EU_AVAILABILITY, "STABLE");
            term(g, &availability, iri(SKOS, "Concept"), "长期提供");
            g.add(dist.clone(), iri(DCATAP, "availability"), availability);
        }
        match &resource.location {
            ResourceLocation::File { size, sha256, .. } => {
                let file = a.node(&format!(
                    "{page}{}",
                    crate::render::percent_encode_path(
                        &resource.published_path().unwrap_or_default()
                    )
                ));
                g.add(dist.clone(), iri(DCAT, "accessURL"), file.clone());
                g.add(dist.clone(), iri(DCAT, "downloadURL"), file);
                g.typed(
                    dist.clone(),
                    iri(DCAT, "byteSize"),
                    &size.to_string(),
                    xsd::NON_NEGATIVE_INTEGER,
                );
                if full {
                    let checksum = a.node(&format!("{page}#checksum-{}", n + 1));
                    g.a(checksum.clone(), iri(SPDX, "Checksum"));
                    g.add(
                        checksum.clone(),
                        iri(SPDX, "algorithm"),
                        iri(SPDX, "checksumAlgorithm_sha256"),
                    );
                    g.typed(
                        checksum.clone(),
                        iri(SPDX, "checksumValue"),
                        sha256,
                        xsd::HEX_BINARY,
                    );
                    g.add(dist.clone(), iri(SPDX, "checksum"), checksum);
                }
            }
            ResourceLocation::Url { url } => {
                // Validated as http(s) at load; one that is not a valid IRI is left out.
                let target = NamedNode::new(url.trim()).unwrap_or_else(|_| a.node(&page));
                g.add(dist.clone(), iri(DCAT, "accessURL"), target);
            }
        }
        if let Some((media, file_type)) = media_type(&resource.format) {
            let media = iri(IANA_MEDIA, media);
            if g.first(&media) {
                g.a(media.clone(), iri(DCT, "MediaType"));
            }
            g.add(dist.clone(), iri(DCAT, "mediaType"), media);
            let format = iri(EU_FILE_TYPE, file_type);
            if g.first(&format) {
                g.a(format.clone(), iri(DCT, "MediaTypeOrExtent"));
            }
            g.add(dist.clone(), iri(DCT, "format"), format);
        }
        let right = iri(EU_ACCESS, access_right(d.open_type).0);
        g.add(dist.clone(), iri(DCT, "accessRights"), right);
        if let Some(licence) = &licence {
            g.add(dist.clone(), iri(DCT, "license"), licence.clone());
        }
        g.add(node.clone(), iri(DCAT, "distribution"), dist);
    }
    node
}

/// The triples grouped by subject, subjects in order of first appearance, so each subject is
/// written once with all its properties.
fn grouped(triples: Vec<Triple>) -> Vec<Triple> {
    let order = group_order(&triples);
    let mut slots: Vec<Option<Triple>> = triples.into_iter().map(Some).collect();
    order.into_iter().filter_map(|i| slots[i].take()).collect()
}

/// [`grouped`] for borrowed triples.
pub fn grouped_refs<'a>(triples: &[&'a Triple]) -> Vec<&'a Triple> {
    let order = group_order(triples);
    order.into_iter().map(|i| triples[i]).collect()
}

/// The positions of `triples` grouped by subject, subjects in order of first appearance.
fn group_order<T: std::borrow::Borrow<Triple>>(triples: &[T]) -> Vec<usize> {
    let mut bucket_of: foldhash::HashMap<&NamedOrBlankNode, usize> = Default::default();
    let mut buckets: Vec<Vec<usize>> = Vec::new();
    for (i, t) in triples.iter().enumerate() {
        let next = buckets.len();
        let bucket = *bucket_of.entry(&t.borrow().subject).or_insert(next);
        if bucket == next {
            buckets.push(Vec::new());
        }
        buckets[bucket].push(i);
    }
    buckets.into_iter().flatten().collect()
}

/// The document of one dataset (`datasets/<id>.ttl` and its siblings).
pub fn dataset_document(cx: &Context<'_>, d: &Dataset, department: &Department) -> Vec<Triple> {
    let mut g = Graph::default();
    dataset(&mut g, cx, d, department, Detail::Full);
    grouped(g.triples)
}

/// One page of a catalog: the whole portal's or one department's.
pub struct CatalogPage<'a> {
    /// The department, for a department's catalog.
    pub department: Option<&'a Department>,
    /// The datasets on this page, each with its department.
    pub datasets: Vec<(&'a Dataset, &'a Department)>,
    /// This page, from 1.
    pub page: usize,
    /// Pages in all.
    pub total_pages: usize,
    /// Datasets in all.
    pub total_items: usize,
    /// The site path of a page of this catalog in one format (`catalog.ttl`,
    /// `catalog/page/2.ttl`).
    pub path_of: &'a dyn Fn(usize) -> String,
}

/// The datasets of a catalog page, the part of its document that does not depend on the
/// format (the head names the page's own address, in its format): made once for the three
/// formats. The document is [`catalog_head`]'s triples, then these, put in order by
/// [`grouped_refs`].
pub fn catalog_body(cx: &Context<'_>, page: &CatalogPage<'_>, nodes: HeadNodes) -> Vec<Triple> {
    let mut g = Graph {
        triples: Vec::new(),
        described: nodes.described,
    };
    for (d, department) in &page.datasets {
        let node = dataset(&mut g, cx, d, department, Detail::Listed);
        g.add(nodes.catalog.clone(), iri(DCAT, "dataset"), node);
    }
    g.triples
}

/// The nodes of a catalog page's head that its body refers to: the catalog's, and those the
/// head already described (the body does not describe them again). The same in every format.
pub struct HeadNodes {
    catalog: NamedNode,
    described: foldhash::HashSet<String>,
}

/// The catalog's description and this page's place among the pages (Hydra), ungrouped.
pub fn catalog_head(cx: &Context<'_>, page: &CatalogPage<'_>) -> (Vec<Triple>, HeadNodes) {
    let a = cx.addresses;
    let mut g = Graph::default();
    let (catalog, title, description, home, publisher) = match page.department {
        Some(dept) => (
            a.node(&format!("departments/{}/#catalog", dept.code.0)),
            format!("{}开放数据目录", dept.name),
            if dept.description.trim().is_empty() {
                format!("{}在{}发布的开放数据目录。", dept.name, cx.config.title)
            } else {
                dept.description.clone()
            },
            a.node(&format!("departments/{}/", dept.code.0)),
            publisher(&mut g, cx, dept),
        ),
        None => {
            let operator = a.operator();
            g.a(operator.clone(), iri(FOAF, "Agent"));
            let name = if cx.config.operator.trim().is_empty() {
                &cx.config.title
            } else {
                &cx.config.operator
            };
            g.text(operator.clone(), iri(FOAF, "name"), name);
            (
                a.catalog(),
                cx.config.title.clone(),
                cx.config.description.clone(),
                a.node(""),
                operator,
            )
        }
    };
    g.a(catalog.clone(), iri(DCAT, "Catalog"));
    g.text(catalog.clone(), iri(DCT, "title"), &title);
    let description = if description.trim().is_empty() {
        &title
    } else {
        &description
    };
    g.text(catalog.clone(), iri(DCT, "description"), description);
    g.add(catalog.clone(), iri(DCT, "publisher"), publisher);
    g.page(catalog.clone(), iri(FOAF, "homepage"), home);
    let language = iri(EU_LANGUAGE, "ZHO");
    term(&mut g, &language, iri(DCT, "LinguisticSystem"), "中文");
    g.add(catalog.clone(), iri(DCT, "language"), language);
    let scheme = a.themes();
    g.a(scheme.clone(), iri(SKOS, "ConceptScheme"));
    g.text(scheme.clone(), iri(DCT, "title"), "数据领域");
    g.add(catalog.clone(), iri(DCAT, "themeTaxonomy"), scheme);
    if page.department.is_some() {
        g.add(catalog.clone(), iri(DCT, "isPartOf"), a.catalog());
    }
    // The area the catalog covers: its department's region, or the whole region list's top.
    let covered = match page.department {
        Some(dept) => Some(dept.region.0.as_str()),
        None => cx
            .divisions
            .all()
            .find(|d| d.parent.is_none())
            .map(|d| d.code.as_str()),
    };
    if let Some(code) = covered {
        let place = region(&mut g, cx, code);
        g.add(catalog.clone(), iri(DCT, "spatial"), place);
    }
    // The count is stated on the first page, the entry point, so that a dataset coming or
    // going does not rewrite every page.
    if page.page == 1 {
        g.typed(
            catalog.clone(),
            iri(HYDRA, "totalItems"),
            &page.total_items.to_string(),
            xsd::NON_NEGATIVE_INTEGER,
        );
    }
    // The page as a Hydra view of the collection.
    let view = a.node(&(page.path_of)(page.page));
    g.a(view.clone(), iri(HYDRA, "PartialCollectionView"));
    g.add(catalog.clone(), iri(HYDRA, "view"), view.clone());
    g.add(
        view.clone(),
        iri(HYDRA, "first"),
        a.node(&(page.path_of)(1)),
    );
    g.add(
        view.clone(),
        iri(HYDRA, "last"),
        a.node(&(page.path_of)(page.total_pages)),
    );
    if page.page > 1 {
        g.add(
            view.clone(),
            iri(HYDRA, "previous"),
            a.node(&(page.path_of)(page.page - 1)),
        );
    }
    if page.page < page.total_pages {
        g.add(
            view,
            iri(HYDRA, "next"),
            a.node(&(page.path_of)(page.page + 1)),
        );
    }
    let nodes = HeadNodes {
        catalog,
        described: g.described,
    };
    (g.triples, nodes)
}

/// The concept scheme of the data domains (`/themes.ttl`).
pub fn themes_document(cx: &Context<'_>) -> Vec<Triple> {
    let a = cx.addresses;
    let mut g = Graph::default();
    let scheme = a.themes();
    g.a(scheme.clone(), iri(SKOS, "ConceptScheme"));
    g.text(scheme.clone(), iri(DCT, "title"), "数据领域");
    g.text(
        scheme.clone(),
        iri(DCT, "description"),
        &format!(
            "{}的数据领域分类，数据集按此归类（dcat:theme）。",
            cx.config.title
        ),
    );
    for domain in &cx.config.domains {
        let theme = a.theme(&domain.slug);
        g.a(theme.clone(), iri(SKOS, "Concept"));
        g.text(theme.clone(), iri(SKOS, "prefLabel"), &domain.name);
        g.plain(theme.clone(), iri(SKOS, "notation"), &domain.slug);
        g.add(theme.clone(), iri(SKOS, "inScheme"), scheme.clone());
        g.add(scheme.clone(), iri(SKOS, "hasTopConcept"), theme);
    }
    grouped(g.triples)
}
