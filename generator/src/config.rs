//! Site configuration (`site.toml`): a value passed into every stage, never global state.

use std::path::Path;

use serde::Deserialize;

/// One entry of the controlled list of domains (数据领域).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Domain {
    /// ASCII slug used in URLs.
    pub slug: String,
    /// The Chinese name records use (e.g. `交通运输`).
    pub name: String,
}

/// Limits that protect the build against hostile or broken input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest record file accepted, in bytes.
    pub max_record_bytes: u64,
    /// Deepest YAML nesting accepted.
    pub max_depth: usize,
    /// Most aliases (`*name`) a record may use.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 256 * 1024,
            max_depth: 16,
            max_aliases: 64,
        }
    }
}

/// Everything `site.toml` says.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    /// Portal title.
    pub title: String,
    /// One-sentence description for the home page and metadata.
    pub description: String,
    /// Public address of the portal, used only where an absolute URL is unavoidable.
    #[serde(default)]
    pub base_url: String,
    /// Datasets per listing page.
    #[serde(default = "default_per_page")]
    pub per_page: usize,
    /// Pages a browsing listing (all datasets, a domain, a level …) goes back; older datasets
    /// stay listed in their department's catalog, which is never cut, and in search. Keeps a
    /// change from re-rendering thousands of pages that shift by one dataset.
    #[serde(default = "default_listing_pages")]
    pub listing_pages: usize,
    /// Where the public applies for conditional (有条件开放) data.
    #[serde(default)]
    pub apply_url: String,
    /// Who runs the platform, shown in the footer.
    #[serde(default)]
    pub operator: String,
    /// The platform's e-mail address, named in `data.json` for a dataset whose record and
    /// department give no e-mail address (the schema requires one).
    #[serde(default)]
    pub contact_email: String,
    /// The controlled list of domains.
    pub domains: Vec<Domain>,
    /// Input limits.
    #[serde(default)]
    pub limits: Limits,
    /// The publishing daemon's settings (`[daemon]`).
    #[serde(default)]
    pub daemon: DaemonSettings,
    /// The mirror manifest's settings (`[mirror]`).
    #[serde(default)]
    pub mirror: MirrorSettings,
}

/// `[mirror]` in `site.toml`: how the manifest mirrors check copies against is signed.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MirrorSettings {
    /// The minisign secret key that signs the manifest (from `kaifang keygen`), relative to
    /// the folder of `site.toml`. It must lie outside the content and output folders. Empty:
    /// the manifest is written unsigned.
    pub signing_key: String,
}

/// `[daemon]` in `site.toml`: where departments drop records and where releases go.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonSettings {
    /// Drop root: one folder per department code.
    pub drops: String,
    /// Release root: `releases/`, `current`, and the daemon's state.
    pub releases: String,
    /// Releases kept.
    pub keep: usize,
    /// Milliseconds a dropped file's size and mtime must stay unchanged before it is read.
    pub settle_ms: u64,
    /// Seconds between two scans of the drop folders.
    pub poll_secs: u64,
    /// Port of the internal status page on 127.0.0.1 (0: none).
    pub status_port: u16,
    /// A git repository departments commit to (URL or path); when set, its `departments/`
    /// folder takes the place of the drop root.
    pub git: String,
    /// The branch of `git` to publish.
    pub branch: String,
    /// Seconds the files of the whole catalog (`data.json`, `catalog.csv`) may lag behind
    /// the pages while departments edit: the daemon rewrites them (a hundred megabytes at
    /// 100,000 datasets) at most this long after the first edit they miss, not on every
    /// publish. A takedown leaves them out of its publish at once, even when they are due;
    /// they come back a second later, or right after it when they were due. 0: rewrite them
    /// with every publish, a takedown's too.
    pub whole_catalog_secs: u64,
}

impl Default for DaemonSettings {
    fn default() -> DaemonSettings {
        DaemonSettings {
            drops: "drops".into(),
            releases: "releases".into(),
            keep: 5,
            settle_ms: 300,
            poll_secs: 5,
            status_port: 8090,
            git: String::new(),
            branch: "main".into(),
            whole_catalog_secs: 60,
        }
    }
}

fn default_per_page() -> usize {
    20
}

fn default_listing_pages() -> usize {
    50
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for a site configuration.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: String,
        /// What was wrong, with line and column.
        message: String,
    },
}

impl SiteConfig {
    /// Reads and checks `site.toml`.
    pub fn load(path: &Path) -> Result<SiteConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let mut config = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.display().to_string(),
            message,
        })?;
        // Paths in the file are relative to its folder.
        let key = &mut config.mirror.signing_key;
        if !key.is_empty() && Path::new(key.as_str()).is_relative() {
            let folder = path.parent().unwrap_or(Path::new(""));
            *key = folder.join(key.as_str()).display().to_string();
        }
        Ok(config)
    }

    /// The key that signs the mirror manifest, when one is set.
    pub fn signing_key(&self) -> Option<std::path::PathBuf> {
        let key = self.mirror.signing_key.trim();
        (!key.is_empty()).then(|| key.into())
    }

    /// Parses the text of a `site.toml`.
    pub fn parse(text: &str) -> Result<SiteConfig, String> {
        let config: SiteConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if config.per_page == 0 {
            return Err("per_page must be at least 1".into());
        }
        if config.listing_pages == 0 {
            return Err("listing_pages must be at least 1".into());
        }
        // Waits are added to the clock; a day bounds them far from overflow.
        for (key, secs) in [
            ("poll_secs", config.daemon.poll_secs),
            ("whole_catalog_secs", config.daemon.whole_catalog_secs),
        ] {
            if secs > 86_400 {
                return Err(format!(
                    "[daemon] {key} = {secs} is more than a day (86400 seconds); use a shorter interval"
                ));
            }
        }
        let email = config.contact_email.trim();
        if !email.is_empty()
            && (email.starts_with("mailto:") || !crate::metadata::pod::is_plain_email(email))
        {
            return Err(format!(
                "contact_email `{email}` must be a plain e-mail address such as `open-data@example.gov.cn` (ASCII, no name or `mailto:`)"
            ));
        }
        // The machine-readable catalog names every dataset by an address under base_url.
        let base = config.base_url.trim();
        if !base.is_empty()
            && (!(base.starts_with("https://") || base.starts_with("http://"))
                || base.contains(['#', '?', ' ', '"', '<', '>'])
                || oxrdf::NamedNode::new(base).is_err())
        {
            return Err(format!(
                "base_url `{base}` must be the portal's public address, e.g. `https://data.example.gov.cn/`: a valid http(s) address (no space, quote, `{{`, `|`, `^` or backslash), without a query or a fragment"
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for domain in &config.domains {
            if !crate::model::is_slug(&domain.slug) {
                return Err(format!(
                    "domain slug `{}` must be lowercase ASCII letters, digits and hyphens",
                    domain.slug
                ));
            }
            if !seen.insert(domain.slug.clone()) || !seen.insert(domain.name.clone()) {
                return Err(format!("domain `{}` is listed twice", domain.name));
            }
        }
        Ok(config)
    }

    /// The domain with this Chinese name.
    pub fn domain_by_name(&self, name: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.name == name)
    }

    /// The domain with this slug.
    pub fn domain_by_slug(&self, slug: &str) -> Option<&Domain> {
        self.domains.iter().find(|d| d.slug == slug)
    }
}

#[cfg(test)]
mod base_url_tests {
    use super::SiteConfig;

    fn with_base(base: &str) -> Result<SiteConfig, String> {
        SiteConfig::parse(&format!(
            "title = \"t\"\ndescription = \"d\"\nbase_url = \"{base}\"\ndomains = []\n"
        ))
    }

    #[test]
    fn daemon_waits_over_a_day_and_odd_contact_addresses_are_refused() {
        let config = |extra: &str| {
            SiteConfig::parse(&format!(
                "title = \"t\"\ndescription = \"d\"\ndomains = []\n{extra}"
            ))
        };
        assert!(config("contact_email = \"open@example.gov.cn\"").is_ok());
        let err = config("contact_email = \"mailto:open@example.gov.cn\"").unwrap_err();
        assert!(err.contains("contact_email"), "{err}");
        assert!(config("contact_email = \"平台\"").is_err());
        let err = config("[daemon]\nwhole_catalog_secs = 18446744073709551615").unwrap_err();
        assert!(
            err.contains("whole_catalog_secs") && err.contains("86400"),
            "{err}"
        );
        assert!(config("[daemon]\npoll_secs = 86401").is_err());
        assert!(config("[daemon]\nwhole_catalog_secs = 86400").is_ok());
    }

    #[test]
    fn a_base_url_every_public_file_can_name_is_required() {
        assert!(with_base("https://data.example.gov.cn/").is_ok());
        assert!(
            with_base("").is_ok(),
            "no base: the documents use localhost"
        );
        for bad in [
            "https://x.test/{a}/",
            "https://x.test/a|b/",
            "ftp://x.test/",
            "https://x.test/#a",
        ] {
            let err = with_base(bad).expect_err(bad);
            assert!(err.contains("a valid http(s) address"), "{err}");
        }
    }
}
