//! Deploys a built site to S3-compatible object storage (`kaifang deploy`).
//!
//! The site's manifest (`/.well-known/kaifang/manifest.json`, see the `mirror` crate) says
//! what every file is. The bucket's own copy of the manifest, uploaded last by the previous
//! deploy, says what the bucket holds, and a listing of the bucket catches what an
//! interrupted deploy or a hand edit left. Only a file whose SHA-256 differs from the bucket's
//! manifest, or that the listing lacks or sizes differently, is uploaded. The order keeps the
//! site whole for a reader at every moment, as `kaifang mirror sync` does for a folder: data
//! and assets first, then pages, then the manifest's trace, signature and the manifest
//! itself; objects the site no longer has are deleted last of all. Running it again after
//! an interruption finishes the job.
//!
//! Each object gets its `Content-Type` and a `Cache-Control` by kind ([`cache_control`]):
//! content-hashed files are cached for a year, pages and everything else for five minutes,
//! and the manifest and the search directory are revalidated on every use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use mirror::manifest::{self, FileEntry};
use mirror::verify::{Folder, Source, VerifyError};
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMode, PutOptions, PutPayload,
};

/// Uploads in flight at once.
const CONCURRENCY: usize = 8;

/// Why a deploy failed. The bucket's manifest is replaced only when every upload succeeded.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The site folder has no readable manifest.
    #[error("the site: {0} (build it with `kaifang build` first)")]
    Site(#[from] VerifyError),
    /// A local file is not what the manifest says.
    #[error(
        "{path}: the file is not the one the site's manifest lists ({reason}); build the site again"
    )]
    Changed {
        /// The site path.
        path: String,
        /// What differs.
        reason: String,
    },
    /// A path the object store does not accept as a key.
    #[error("{path}: not a valid object key: {reason}")]
    Key {
        /// The site path.
        path: String,
        /// Why.
        reason: String,
    },
    /// The bucket's settings are not usable.
    #[error("the bucket settings: {0}")]
    Settings(String),
    /// A request to the object store failed.
    #[error("{what} {path}: {source}")]
    Store {
        /// The operation (`upload`, `delete`, `list`, `read`).
        what: &'static str,
        /// The object's site path.
        path: String,
        /// The store's error.
        source: object_store::Error,
    },
    /// Some uploads failed. The bucket's manifest was not replaced; the other files went up
    /// and objects the site no longer has were deleted all the same (on a bucket that was
    /// already the site's).
    #[error(
        "{failed} upload(s) failed, the first: {first}; the bucket's manifest was not replaced; \
         run the deploy again"
    )]
    Uploads {
        /// How many failed.
        failed: usize,
        /// The first failure.
        first: Box<DeployError>,
    },
    /// The bucket's copy of the manifest is unreadable.
    #[error("the bucket's {path}: {reason}")]
    RemoteManifest {
        /// The object.
        path: String,
        /// Why.
        reason: String,
    },
}

/// Where to deploy: an S3 bucket (or any store that speaks its API).
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    /// Bucket name.
    pub name: String,
    /// A folder in the bucket to deploy into (`""` for its root).
    pub prefix: String,
    /// The service's address (`https://s3.example.com`, `http://127.0.0.1:9000`); empty for
    /// AWS itself. Requests use path-style addresses (`<endpoint>/<bucket>/<key>`).
    pub endpoint: String,
    /// The region (`us-east-1` when empty).
    pub region: String,
    /// Access key id; empty to take `AWS_ACCESS_KEY_ID` from the environment.
    pub access_key_id: String,
    /// Secret access key; empty to take `AWS_SECRET_ACCESS_KEY` from the environment.
    pub secret_access_key: String,
}

/// What a deploy did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeployReport {
    /// Files the site lists.
    pub files: usize,
    /// Objects uploaded (site files and the manifest's own files).
    pub uploaded: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Site files left as they were in the bucket.
    pub unchanged: usize,
    /// Objects deleted.
    pub deleted: usize,
    /// Objects under the prefix that the site does not have, left alone because the bucket
    /// held no manifest (a first deploy deletes nothing).
    pub left_alone: usize,
    /// The generation now in the bucket.
    pub generation: u64,
}

/// How a file is cached, by its site path. Content-hashed files (search shards, manifest
/// parts) never change under their name; the search directory, the manifest, its signature
/// and trace change with every build and are revalidated each time; everything else (pages,
/// data, metadata) may be five minutes old.
pub fn cache_control(path: &str) -> &'static str {
    const YEAR: &str = "public, max-age=31536000, immutable";
    const REVALIDATE: &str = "no-cache";
    const SHORT: &str = "public, max-age=300";
    if path == "search/index.bin" || (manifest::is_own(path) && !path.starts_with(manifest::PARTS))
    {
        REVALIDATE
    } else if path.starts_with(manifest::PARTS)
        || (path.starts_with("search/") && path.ends_with(".bin"))
    {
        YEAR
    } else {
        SHORT
    }
}

/// The media type of a site file, by its extension. The static CKAN API's files have none
/// and are JSON.
pub fn content_type(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "jsonld" => "application/ld+json",
        "ttl" => "text/turtle; charset=utf-8",
        "rdf" => "application/rdf+xml",
        "atom" => "application/atom+xml",
        "xml" => "application/xml",
        "csv" => "text/csv; charset=utf-8",
        "txt" | "minisig" => "text/plain; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "pdf" => "application/pdf",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xls" => "application/vnd.ms-excel",
        "zip" => "application/zip",
        "" if path.starts_with("api/3/action/") => "application/json",
        _ => "application/octet-stream",
    }
}

/// The rank of an upload: lower goes first. Data, assets, search shards and manifest parts;
/// then pages; then the files that list pages or shards (the search directory, `data.json`,
/// `catalog.csv`, catalogs, feeds, sitemaps, the CKAN lists); then the trace, the signature
/// and the manifest. A reader who follows a link finds what it points to, and one who reads
/// the manifest finds every file it lists.
fn upload_rank(path: &str) -> u8 {
    // A department's catalog lives under its folder, the portal's at the root.
    let in_catalog_folder = path
        .strip_prefix("departments/")
        .and_then(|rest| rest.split_once('/'))
        .map_or(path, |(_, rest)| rest);
    let is_catalog = ["catalog.ttl", "catalog.jsonld", "catalog.rdf"].contains(&in_catalog_folder)
        || in_catalog_folder.starts_with("catalog/page/");
    let is_feed =
        path.ends_with(".atom") && (path.starts_with("feeds/") || path.ends_with("/feed.atom"));
    let is_directory = is_catalog
        || is_feed
        || matches!(
            path,
            "search/index.bin"
                | "data.json"
                | "catalog.csv"
                | "sitemap.xml"
                | "api/3/action/package_list"
                | "api/3/action/organization_list"
                | "api/3/action/group_list"
                | "api/3/action/tag_list"
        )
        || path.starts_with("sitemaps/");
    match path {
        manifest::TRACE => 3,
        manifest::SIGNATURE => 4,
        manifest::MANIFEST => 5,
        _ if is_directory => 2,
        _ if path.ends_with(".html") => 1,
        _ => 0,
    }
}

/// The object store of a bucket.
fn open(bucket: &Bucket) -> Result<Arc<dyn ObjectStore>, DeployError> {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&bucket.name)
        .with_virtual_hosted_style_request(false);
    if !bucket.endpoint.is_empty() {
        builder = builder
            .with_endpoint(&bucket.endpoint)
            // The operator wrote the address; a plain-http one is theirs to choose (a store
            // on the same host or network).
            .with_allow_http(bucket.endpoint.starts_with("http://"));
    }
    builder = builder.with_region(if bucket.region.is_empty() {
        "us-east-1"
    } else {
        &bucket.region
    });
    if !bucket.access_key_id.is_empty() {
        builder = builder.with_access_key_id(&bucket.access_key_id);
    }
    if !bucket.secret_access_key.is_empty() {
        builder = builder.with_secret_access_key(&bucket.secret_access_key);
    }
    let store = builder
        .build()
        .map_err(|e| DeployError::Settings(e.to_string()))?;
    Ok(Arc::new(store))
}

/// A site path's object key under `prefix`.
fn key(prefix: &str, path: &str) -> Result<ObjectPath, DeployError> {
    let prefix = prefix.trim_matches('/');
    let full = if prefix.is_empty() {
        path.to_string()
    } else {
        format!("{prefix}/{path}")
    };
    // `parse` keeps UTF-8 as it is (`from` would percent-encode it into the key itself).
    ObjectPath::parse(&full).map_err(|e| DeployError::Key {
        path: path.to_string(),
        reason: e.to_string(),
    })
}

/// The site path of an object key under `prefix`, if it is under it.
fn site_path(prefix: &str, key: &ObjectPath) -> Option<String> {
    let prefix = prefix.trim_matches('/');
    let key = key.as_ref();
    if prefix.is_empty() {
        return Some(key.to_string());
    }
    key.strip_prefix(prefix)?
        .strip_prefix('/')
        .map(str::to_string)
}

/// Reads from the bucket what its last deploy said it holds.
struct Remote {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    runtime: Arc<tokio::runtime::Runtime>,
}

impl Source for Remote {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, VerifyError> {
        let key = key(&self.prefix, path).map_err(|e| VerifyError::Read {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        let fetched = self.runtime.block_on(async {
            match self.store.get(&key).await {
                Ok(result) => result.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        });
        fetched
            .map(|bytes| bytes.map(|b| b.to_vec()))
            .map_err(|e| VerifyError::Read {
                path: path.to_string(),
                reason: e.to_string(),
            })
    }

    fn digest(&self, path: &str) -> Result<Option<(u64, String)>, VerifyError> {
        Ok(self
            .read(path)?
            .map(|bytes| (bytes.len() as u64, manifest::sha256_hex(&bytes))))
    }

    fn list(&self) -> Result<Option<Vec<String>>, VerifyError> {
        Ok(None)
    }

    fn describe(&self) -> String {
        "the bucket".into()
    }
}

/// One object to upload: a site file (read from disk and checked against its manifest
/// entry) or one of the manifest's own files (its bytes as read with the manifest).
enum Upload<'a> {
    File(&'a FileEntry),
    Own(&'a [u8]),
}

/// An object the listing found.
struct Listed {
    size: u64,
    modified: chrono::DateTime<chrono::Utc>,
}

/// Uploads the site in `site` to `bucket`: only what changed, in an order that keeps the
/// copy whole, deletions last. With `signed_by`, the site's manifest must carry its
/// signature.
/// `progress` hears each object uploaded or deleted.
pub fn deploy(
    site: &Path,
    bucket: &Bucket,
    signed_by: Option<&mirror::signing::Verifier>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<DeployReport, DeployError> {
    let runtime = Arc::new(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| DeployError::Settings(format!("cannot start the I/O runtime: {e}")))?,
    );
    let store = open(bucket)?;
    // Resolved once: a `current` link switched by a publisher mid-deploy must not mix releases.
    let site = std::fs::canonicalize(site).map_err(|e| {
        DeployError::Site(VerifyError::Read {
            path: site.display().to_string(),
            reason: e.to_string(),
        })
    })?;
    let local = Folder::new(&site);
    let listed = match signed_by {
        Some(verifier) => mirror::verify::read_signed(&local, verifier, None)?,
        None => mirror::verify::read_unsigned(&local, None)?,
    };
    let trace = local.read(manifest::TRACE)?;

    // What the bucket holds: its manifest's files, checked against a listing.
    let remote = Remote {
        store: store.clone(),
        prefix: bucket.prefix.clone(),
        runtime: runtime.clone(),
    };
    // Parts are named by their hash: those the site holds too are not fetched.
    let before = match mirror::verify::read_unsigned(&remote, Some(&local)) {
        Ok(signed) => Some(signed.files),
        Err(VerifyError::NoManifest { .. }) => None,
        Err(e) => {
            return Err(DeployError::RemoteManifest {
                path: manifest::MANIFEST.into(),
                reason: e.to_string(),
            });
        }
    };
    let prefix_key = key_prefix(&bucket.prefix)?;
    let objects: BTreeMap<String, Listed> = runtime
        .block_on(
            store
                .list(prefix_key.as_ref())
                .map_ok(|meta| (meta.location, meta.size, meta.last_modified))
                .try_collect::<Vec<_>>(),
        )
        .map_err(|source| DeployError::Store {
            what: "list",
            path: bucket.prefix.clone(),
            source,
        })?
        .into_iter()
        .filter_map(|(location, size, modified)| {
            Some((
                site_path(&bucket.prefix, &location)?,
                Listed { size, modified },
            ))
        })
        .collect();
    // An object written after the bucket's manifest (by a deploy that stopped before it) is
    // not what that manifest says, whatever its size.
    let manifest_written = objects.get(manifest::MANIFEST).map(|o| o.modified);
    if before.is_none() && manifest_written.is_some() {
        return Err(DeployError::RemoteManifest {
            path: manifest::MANIFEST.into(),
            reason: "the listing shows it but it cannot be read".into(),
        });
    }
    // The prefix is the site's once it holds the site's manifest or any of its own files.
    let owned = before.is_some() || objects.keys().any(|p| manifest::is_own(p));

    let mut report = DeployReport {
        files: listed.files.len(),
        generation: listed.manifest.generation,
        ..DeployReport::default()
    };
    let mut uploads: Vec<(&str, Upload<'_>)> = Vec::new();
    for (path, entry) in &listed.files {
        let held = objects.get(path).is_some_and(|o| {
            o.size == entry.size && manifest_written.is_some_and(|written| o.modified <= written)
        });
        let same = held
            && before
                .as_ref()
                .and_then(|files| files.get(path))
                .is_some_and(|b| b.sha256 == entry.sha256);
        if same {
            report.unchanged += 1;
        } else {
            uploads.push((path, Upload::File(entry)));
        }
    }
    // The manifest's own files, as read with it: parts the bucket lacks, the trace, the
    // signature (when the site has one) and the manifest.
    let mut own: Vec<(&str, &[u8])> = listed
        .parts
        .iter()
        .filter(|(part, _)| !objects.contains_key(*part))
        .map(|(part, bytes)| (part.as_str(), bytes.as_slice()))
        .collect();
    own.extend(trace.as_deref().map(|t| (manifest::TRACE, t)));
    if !listed.signature.is_empty() {
        own.push((manifest::SIGNATURE, &listed.signature));
    }
    own.push((manifest::MANIFEST, &listed.bytes));
    uploads.extend(
        own.into_iter()
            .map(|(path, bytes)| (path, Upload::Own(bytes))),
    );
    uploads.sort_by_key(|(path, _)| upload_rank(path));

    // Each rank completes before the next starts. A failed upload does not stop the pages
    // and the files that list them (a dataset taken down must leave those too), but it
    // stops the trace, the signature and the manifest: the bucket's manifest stays the old
    // one, and so does every file of the manifest's own.
    let mut failed: Vec<DeployError> = Vec::new();
    let mut start = 0;
    while start < uploads.len() {
        let rank = upload_rank(uploads[start].0);
        if !failed.is_empty() && rank >= upload_rank(manifest::TRACE) {
            break;
        }
        let end = uploads[start..]
            .iter()
            .position(|(path, _)| upload_rank(path) != rank)
            .map_or(uploads.len(), |n| start + n);
        let results =
            runtime.block_on(
                futures::stream::iter(uploads[start..end].iter().map(|(path, what)| {
                    upload(&store, &bucket.prefix, &site, path, what, progress)
                }))
                .buffer_unordered(CONCURRENCY)
                .collect::<Vec<Result<u64, DeployError>>>(),
            );
        for result in results {
            match result {
                Ok(size) => {
                    report.uploaded += 1;
                    report.bytes += size;
                }
                Err(error) => failed.push(error),
            }
        }
        start = end;
    }

    // Deletions last: every object under the prefix that the site does not have, once the
    // prefix is known to be this site's (it holds the manifest's files); a first deploy into
    // a folder that holds other objects leaves them alone. A failed upload does not hold deletions
    // back: a dataset taken down must leave the bucket even when another file cannot go up.
    let mut keep: BTreeSet<&str> = listed
        .files
        .keys()
        .chain(listed.parts.keys())
        .map(String::as_str)
        .chain([manifest::MANIFEST])
        .collect();
    if trace.is_some() {
        keep.insert(manifest::TRACE);
    }
    if !listed.signature.is_empty() {
        keep.insert(manifest::SIGNATURE);
    }
    let strangers: Vec<&String> = objects
        .keys()
        .filter(|path| !keep.contains(path.as_str()))
        // The old manifest stays when an upload failed, and with it the parts it names.
        .filter(|path| failed.is_empty() || !manifest::is_own(path))
        .collect();
    if !owned {
        report.left_alone = strangers.len();
    } else {
        let deleted = runtime.block_on(
            futures::stream::iter(strangers.iter().map(|path| {
                let store = store.clone();
                async move {
                    let key = key(&bucket.prefix, path)?;
                    match store.delete(&key).await {
                        Ok(()) | Err(object_store::Error::NotFound { .. }) => {
                            progress(&format!("deleted {path}"));
                            Ok(())
                        }
                        Err(source) => Err(DeployError::Store {
                            what: "delete",
                            path: path.to_string(),
                            source,
                        }),
                    }
                }
            }))
            .buffer_unordered(CONCURRENCY)
            .try_collect::<Vec<()>>(),
        );
        if let Err(error) = deleted {
            // The upload failures are what the operator must fix first.
            return Err(match failed.is_empty() {
                true => error,
                false => DeployError::Uploads {
                    failed: failed.len(),
                    first: Box::new(failed.remove(0)),
                },
            });
        }
        report.deleted = strangers.len();
    }
    match failed.len() {
        0 => Ok(report),
        n => Err(DeployError::Uploads {
            failed: n,
            first: Box::new(failed.remove(0)),
        }),
    }
}

/// The listing prefix of a deploy folder (`None` for the bucket's root).
fn key_prefix(prefix: &str) -> Result<Option<ObjectPath>, DeployError> {
    let prefix = prefix.trim_matches('/');
    if prefix.is_empty() {
        return Ok(None);
    }
    ObjectPath::parse(prefix)
        .map(Some)
        .map_err(|e| DeployError::Key {
            path: prefix.to_string(),
            reason: e.to_string(),
        })
}

/// Uploads one object; a site file is checked against its manifest entry as it is read, so
/// the bucket never receives bytes the manifest does not describe. Returns its size.
async fn upload(
    store: &Arc<dyn ObjectStore>,
    prefix: &str,
    site: &Path,
    path: &str,
    what: &Upload<'_>,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<u64, DeployError> {
    let bytes = match what {
        Upload::Own(bytes) => bytes.to_vec(),
        Upload::File(entry) => {
            let file: PathBuf = site.join(path);
            let bytes = std::fs::read(&file).map_err(|e| DeployError::Changed {
                path: path.to_string(),
                reason: e.to_string(),
            })?;
            let sha256 = manifest::sha256_hex(&bytes);
            if bytes.len() as u64 != entry.size || sha256 != entry.sha256 {
                return Err(DeployError::Changed {
                    path: path.to_string(),
                    reason: format!(
                        "{} bytes with SHA-256 {sha256}, listed as {} bytes with {}",
                        bytes.len(),
                        entry.size,
                        entry.sha256
                    ),
                });
            }
            bytes
        }
    };
    let size = bytes.len() as u64;
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, content_type(path).into());
    attributes.insert(Attribute::CacheControl, cache_control(path).into());
    let options = PutOptions {
        mode: PutMode::Overwrite,
        attributes,
        ..PutOptions::default()
    };
    let key = key(prefix, path)?;
    store
        .put_opts(&key, PutPayload::from(bytes), options)
        .await
        .map_err(|source| DeployError::Store {
            what: "upload",
            path: path.to_string(),
            source,
        })?;
    progress(&format!("uploaded {path}"));
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_files_are_cached_for_a_year_and_the_manifest_never() {
        assert_eq!(
            cache_control("search/d/058082340c.bin"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            cache_control(".well-known/kaifang/parts/ab12.json"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(cache_control("search/index.bin"), "no-cache");
        assert_eq!(cache_control(manifest::MANIFEST), "no-cache");
        assert_eq!(cache_control(manifest::SIGNATURE), "no-cache");
        assert_eq!(
            cache_control("datasets/x/index.html"),
            "public, max-age=300"
        );
        assert_eq!(cache_control("data.json"), "public, max-age=300");
    }

    #[test]
    fn content_types_follow_extensions_and_the_ckan_api_is_json() {
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("datasets/x.ttl"), "text/turtle; charset=utf-8");
        assert_eq!(
            content_type("api/3/action/package_list"),
            "application/json"
        );
        assert_eq!(
            content_type("api/3/action/package_show/bus-stops"),
            "application/json"
        );
        assert_eq!(
            content_type("datasets/x/files/README"),
            "application/octet-stream"
        );
    }

    #[test]
    fn uploads_go_data_then_pages_then_lists_of_pages_then_the_manifest() {
        let mut paths = vec![
            manifest::MANIFEST,
            "index.html",
            manifest::SIGNATURE,
            "data.json",
            manifest::TRACE,
            "datasets/a/index.html",
            "search/d/1.bin",
        ];
        paths.sort_by_key(|p| upload_rank(p));
        assert_eq!(
            paths,
            [
                "search/d/1.bin",
                "index.html",
                "datasets/a/index.html",
                "data.json",
                manifest::TRACE,
                manifest::SIGNATURE,
                manifest::MANIFEST,
            ]
        );
    }

    #[test]
    fn files_that_list_pages_go_after_pages_and_nothing_else_does() {
        for path in [
            "catalog.ttl",
            "catalog/page/2.jsonld",
            "departments/nn-transport/catalog.rdf",
            "departments/nn-transport/catalog/page/3.ttl",
            "sitemap.xml",
            "sitemaps/2.xml",
            "feeds/datasets.atom",
            "domains/transport/feed.atom",
            "api/3/action/package_list",
            "search/index.bin",
            "catalog.csv",
        ] {
            assert_eq!(upload_rank(path), 2, "{path}");
        }
        for path in [
            "datasets/x/files/catalog.csv",
            "datasets/catalog/index.html",
            "datasets/catalog.ttl",
            "api/3/action/package_show/catalog",
            "search/d/0a.bin",
        ] {
            assert!(upload_rank(path) < 2, "{path}");
        }
    }

    #[test]
    fn keys_keep_chinese_names_and_sit_under_the_prefix() {
        let k = key("portal/", "datasets/公交/index.html").unwrap();
        assert_eq!(k.as_ref(), "portal/datasets/公交/index.html");
        assert_eq!(
            site_path("portal", &k).as_deref(),
            Some("datasets/公交/index.html")
        );
        assert_eq!(site_path("other", &k), None);
        assert!(key("", "a/../b").is_err(), "no key leaves its folder");
    }
}
