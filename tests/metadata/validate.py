"""Validates a built portal's machine-readable files with the standards' own tools.

Usage: python validate.py <site-dir> <validators-dir> <sitemap-xsd>

- DCAT-AP 3.0.1: the official SHACL shapes (`shapes.ttl`, `range.ttl`) run with pySHACL over
  every catalog page, the portal's and each department's: zero violations required. The
  warnings of `shapes_recommended.ttl` are counted and printed, not failed on.
- Every `.ttl`, `.jsonld` and `.rdf` file parses with rdflib, and the three serialisations of
  each document hold the same graph.
- The schema.org JSON-LD embedded in every dataset page and the home page is JSON with a
  `@context` and `@type`.
- sitemap.xml is valid against the sitemaps.org XML Schema (`sitemap.xsd`, as the npm
  package `sitemap` ships it) and robots.txt names it.
- Every Atom feed is valid against the RELAX NG grammar of RFC 4287 (`atom.rnc`, converted
  with rnc2rng and run with lxml), parses with feedparser without a problem (`bozo`) and has
  what the grammar's Schematron rules and our feeds promise: an author on the feed, a summary
  and an alternate link per entry, RFC 3339 dates. Tombstones (RFC 6721) carry a `ref` to an
  unpublished dataset page and an RFC 3339 `when`.
- data.json is valid against the Project Open Data v1.1 JSON Schema (jsonschema, formats on).
- Every datapackage.json passes frictionless: the descriptor, and the data of packages whose
  resources are all files the site serves.
- catalog.csv parses, one row per dataset of data.json.

Exits non-zero on the first kind of failure, naming the files.
"""

import collections
import csv
import io
import json
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

import feedparser
import rnc2rng
from lxml import etree
import frictionless
import jsonschema
import referencing
import referencing.jsonschema
import rdflib
from rdflib.compare import isomorphic
from pyshacl import validate

FORMATS = {".ttl": "turtle", ".jsonld": "json-ld", ".rdf": "xml"}


def fail(message):
    print(f"FAIL: {message}")
    sys.exit(1)


def parse(path):
    graph = rdflib.Graph()
    graph.parse(path, format=FORMATS[path.suffix])
    return graph


def as_turtle_pages(graph, suffix):
    """The graph with its Hydra page links (format-specific by design) pointed at the .ttl pages."""
    def fix(term):
        if isinstance(term, rdflib.URIRef) and str(term).endswith(suffix) and "catalog" in str(term):
            return rdflib.URIRef(str(term)[: -len(suffix)] + ".ttl")
        return term

    out = rdflib.Graph()
    for s, p, o in graph:
        out.add((fix(s), p, fix(o)))
    return out


def main():
    site = pathlib.Path(sys.argv[1])
    shapes_dir = pathlib.Path(sys.argv[2]) / "dcat-ap-3.0.1"

    # 1. Every RDF file parses, and its three serialisations agree.
    documents = collections.defaultdict(dict)
    for path in sorted(site.rglob("*")):
        if path.suffix in FORMATS and path.is_file():
            try:
                documents[path.with_suffix("")][path.suffix] = parse(path)
            except Exception as error:  # noqa: BLE001 - any parser error is a failure
                fail(f"{path} does not parse: {error}")
    if not documents:
        fail("no RDF files were published")
    for stem, graphs in documents.items():
        if set(graphs) != set(FORMATS):
            fail(f"{stem}: published as {sorted(graphs)}, expected all of {sorted(FORMATS)}")
        turtle = graphs[".ttl"]
        for suffix, graph in graphs.items():
            if not isomorphic(turtle, as_turtle_pages(graph, suffix)):
                fail(f"{stem}{suffix} does not hold the same graph as {stem}.ttl")
    print(f"rdflib: {len(documents)} documents parse in Turtle, JSON-LD and RDF/XML, each the same graph")

    # 2. DCAT-AP shapes over every catalog page, and over every dataset's own (full) document,
    # each set merged into one graph.
    catalogs = rdflib.Graph()
    pages = [p for p in site.rglob("*.ttl") if p.name == "catalog.ttl" or p.parent.name == "page"]
    for path in pages:
        catalogs += documents[path.with_suffix("")][".ttl"]
    catalogs += documents[site / "themes"][".ttl"]
    records = rdflib.Graph()
    own = sorted((site / "datasets").glob("*.ttl"))
    for path in own:
        records += documents[path.with_suffix("")][".ttl"]
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    for label, graph, count in [("catalog pages", catalogs, len(pages)), ("dataset documents", records, len(own))]:
        for name in ["shapes.ttl", "range.ttl"]:
            shapes = rdflib.Graph().parse(shapes_dir / name, format="turtle")
            conforms, _, text = validate(graph, shacl_graph=shapes, inference="rdfs")
            if not conforms:
                print(text[:4000])
                fail(f"DCAT-AP {name}: violations in the {label}")
            print(f"pySHACL DCAT-AP 3.0.1 {name}: {count} {label}, {len(graph)} triples, conforms")
        shapes = rdflib.Graph().parse(shapes_dir / "shapes_recommended.ttl", format="turtle")
        _, report, _ = validate(graph, shacl_graph=shapes, inference="rdfs")
        paths = collections.Counter(
            report.namespace_manager.normalizeUri(path)
            for result in report.subjects(rdflib.RDF.type, sh.ValidationResult)
            for path in report.objects(result, sh.resultPath)
        )
        print(f"pySHACL DCAT-AP 3.0.1 shapes_recommended.ttl, {label}, warnings by property:", dict(paths.most_common()))

    # 3. schema.org JSON-LD in pages.
    script = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)
    checked = 0
    for page in [site / "index.html", *site.glob("datasets/*/index.html")]:
        found = script.findall(page.read_text(encoding="utf-8"))
        if len(found) != 1:
            fail(f"{page}: {len(found)} JSON-LD scripts, expected 1")
        data = json.loads(found[0])
        if data.get("@context") != "https://schema.org/" or data.get("@type") not in ("Dataset", "DataCatalog"):
            fail(f"{page}: JSON-LD without the schema.org context and type")
        checked += 1
    print(f"schema.org: {checked} pages carry one parseable JSON-LD description")

    # 4. Sitemap (against the sitemaps.org XML Schema) and robots.txt.
    sitemap_schema = etree.XMLSchema(etree.parse(sys.argv[3]))
    sitemap = ET.parse(site / "sitemap.xml").getroot()
    if sitemap.tag.endswith("sitemapindex"):
        # Over 50,000 URLs: the index names the sitemaps, each valid against the schema.
        parts = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
        sitemaps = [site / part.split("/", 3)[3] for part in parts]
    elif sitemap.tag.endswith("urlset"):
        sitemaps = [site / "sitemap.xml"]
    else:
        fail("sitemap.xml is neither a urlset nor a sitemap index")
    for path in sitemaps:
        if not sitemap_schema.validate(etree.parse(str(path))):
            fail(f"{path.relative_to(site)}: {sitemap_schema.error_log.last_error}")
    robots = (site / "robots.txt").read_text(encoding="utf-8")
    if "Sitemap: " not in robots:
        fail("robots.txt does not name the sitemap")
    print(f"sitemap.xml: {len(sitemap)} entries, {len(sitemaps)} sitemap(s) valid against sitemap.xsd; robots.txt names it")

    # 5. Atom feeds.
    atom = "{http://www.w3.org/2005/Atom}"
    rfc3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")
    feeds = sorted(site.rglob("*.atom"))
    if not feeds:
        fail("no Atom feed")
    # rnc2rng declares the grammar's empty `local` prefix as xmlns:local="", which XML 1.0
    # namespaces forbid; the prefix is only used through nsName, so the declaration can go.
    grammar = rnc2rng.dumps(rnc2rng.loads((pathlib.Path(sys.argv[2]) / "atom.rnc").read_text(encoding="utf-8")))
    atom_schema = etree.RelaxNG(etree.fromstring(grammar.replace('xmlns:local=""', "").encode()))
    entries = 0
    for path in feeds:
        name = path.relative_to(site)
        if not atom_schema.validate(etree.parse(str(path))):
            fail(f"{name}: RFC 4287 grammar: {atom_schema.error_log.last_error}")
        parsed = feedparser.parse(path.read_bytes())
        if parsed.bozo:
            fail(f"{name}: feedparser: {parsed.bozo_exception}")
        root = ET.parse(path).getroot()
        if root.tag != f"{atom}feed":
            fail(f"{name}: the root is not an Atom feed")
        for required in ("id", "title", "updated", "author"):
            if root.find(f"{atom}{required}") is None:
                fail(f"{name}: the feed has no {required}")
        for element in root.iter(f"{atom}updated"):
            if not rfc3339.match(element.text or ""):
                fail(f"{name}: updated `{element.text}` is not RFC 3339")
        for entry in root.findall(f"{atom}entry"):
            entries += 1
            for required in ("id", "title", "updated", "author", "summary"):
                if entry.find(f"{atom}{required}") is None:
                    fail(f"{name}: an entry has no {required}")
            if entry.find(f"{atom}link[@rel='alternate']") is None:
                fail(f"{name}: an entry has no alternate link")
    print(f"Atom: {len(feeds)} feeds with {entries} entries are valid against the RFC 4287 grammar and parse with feedparser")
    # The withdrawals feed's tombstones (RFC 6721) name datasets that are offline: no page,
    # no entry in any datasets feed.
    tombstones = "{http://purl.org/atompub/tombstones/1.0}"
    withdrawals = ET.parse(site / "feeds" / "withdrawals.atom").getroot()
    # The feed's own address ends in feeds/withdrawals.atom: the site's base is before it.
    base = withdrawals.findtext(f"{atom}id")[: -len("feeds/withdrawals.atom")]
    deleted = withdrawals.findall(f"{tombstones}deleted-entry")
    for tombstone in deleted:
        if not rfc3339.match(tombstone.get("when") or ""):
            fail(f"feeds/withdrawals.atom: tombstone when `{tombstone.get('when')}` is not RFC 3339")
    refs = [e.get("ref") for e in deleted]
    dataset_feed_ids = set()
    for path in feeds:
        if path.name != "withdrawals.atom":
            dataset_feed_ids.update(e.findtext(f"{atom}id") for e in ET.parse(path).getroot().findall(f"{atom}entry"))
    for ref in refs:
        if not ref or not ref.startswith(base) or not ref.endswith("/"):
            fail(f"feeds/withdrawals.atom: tombstone ref `{ref}` is not a dataset page of the site")
        if (site / ref[len(base):] / "index.html").exists() or ref in dataset_feed_ids:
            fail(f"feeds/withdrawals.atom: `{ref}` is withdrawn yet still published")
    print(f"withdrawals.atom: {len(refs)} tombstones, none of them published")

    # 6. data.json against the Project Open Data v1.1 JSON Schema (draft-04), with formats.
    pod_dir = pathlib.Path(sys.argv[2]) / "pod-v1.1"
    resources = []
    for path in sorted(pod_dir.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resource = referencing.Resource.from_contents(schema, default_specification=referencing.jsonschema.DRAFT4)
        resources.append((schema["id"].rstrip("#"), resource))
    registry = referencing.Registry().with_resources(resources)
    catalog_schema = json.loads((pod_dir / "catalog.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(
        catalog_schema, registry=registry, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )
    data = json.loads((site / "data.json").read_text(encoding="utf-8"))
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    for error in errors[:20]:
        print(f"  data.json/{'/'.join(map(str, error.absolute_path))}: {error.message[:300]}")
    if errors:
        fail(f"data.json: {len(errors)} errors against the Project Open Data v1.1 schema")
    datasets = data["dataset"]
    if len(datasets) != len(list(site.glob("datasets/*/index.html"))):
        fail(f"data.json lists {len(datasets)} datasets, the site has another number of dataset pages")
    print(f"jsonschema: data.json ({len(datasets)} datasets) is valid against the Project Open Data v1.1 schema")

    # 7. Every datapackage.json passes `frictionless validate`: the descriptor always, and the
    # data too where every resource is a file the site serves (the others point at other portals).
    packages = sorted(site.glob("datasets/*/datapackage.json"))
    if len(packages) != len(datasets):
        fail(f"{len(packages)} datapackage.json files for {len(datasets)} datasets")
    with_data = 0
    for path in packages:
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        local = all(not r["path"].startswith(("http://", "https://")) for r in descriptor["resources"])
        if local and descriptor["resources"]:
            report = frictionless.validate(str(path))
            with_data += 1
        else:
            report = frictionless.Package.validate_descriptor(descriptor)
        if not report.valid:
            print(report.to_summary()[:3000] if hasattr(report, "to_summary") else report)
            fail(f"{path.relative_to(site)}: frictionless finds errors")
    print(f"frictionless: {len(packages)} datapackage.json descriptors valid; {with_data} packages of served files valid with their data")

    # 8. catalog.csv: UTF-8 with a byte-order mark, one row per dataset, the same ids as data.json.
    raw = (site / "catalog.csv").read_bytes()
    if not raw.startswith(b"\xef\xbb\xbf"):
        fail("catalog.csv has no UTF-8 byte-order mark")
    rows = list(csv.reader(io.StringIO(raw[3:].decode("utf-8"), newline="")))
    header, body = rows[0], rows[1:]
    if header[0] != "标识" or len(body) != len(datasets) or any(len(r) != len(header) for r in body):
        fail("catalog.csv: not one full row per dataset under its header")
    ids = {d["landingPage"].rstrip("/").rsplit("/", 1)[1] for d in datasets}
    if {r[0] for r in body} != ids:
        fail("catalog.csv and data.json list different datasets")
    print(f"catalog.csv: {len(body)} rows of {len(header)} columns parse as CSV; the same datasets as data.json")

if __name__ == "__main__":
    main()
