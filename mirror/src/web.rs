//! A copy of the site on a web server (the origin or a mirror), read over HTTP(S).

use std::io::Read;

use crate::verify::{Source, VerifyError, digest_reader};

/// Small files (the manifest, its signature, a part) are read whole, up to this size.
const SMALL_LIMIT: u64 = 64 << 20;

/// A site at a base address (`https://data.example.gov.cn/`).
pub struct Web {
    base: String,
    agent: ureq::Agent,
}

impl Web {
    /// The site at `base` (a trailing `/` is added when missing).
    pub fn new(base: &str) -> Web {
        let mut base = base.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let agent = ureq::Agent::config_builder()
            // No limit on a whole download (a resource may be large), but on each wait.
            .timeout_connect(Some(std::time::Duration::from_secs(30)))
            .timeout_recv_response(Some(std::time::Duration::from_secs(60)))
            .user_agent(concat!("kaifang-mirror/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Web { base, agent }
    }

    /// The address of a site path. Each segment is percent-encoded as a URL path needs.
    pub fn url(&self, path: &str) -> String {
        let mut url = self.base.clone();
        for (i, segment) in path.split('/').enumerate() {
            if i > 0 {
                url.push('/');
            }
            for byte in segment.bytes() {
                if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                    url.push(byte as char);
                } else {
                    url.push_str(&format!("%{byte:02X}"));
                }
            }
        }
        url
    }

    /// Opens a site path for reading; `None` when the server answers 404 or 410.
    pub fn open(&self, path: &str) -> Result<Option<impl Read + use<>>, VerifyError> {
        Ok(self.open_from(path, 0)?.map(|(_, reader)| reader))
    }

    /// Opens a site path from byte `offset` on (an HTTP range request when above 0). Returns
    /// whether the server sent only that range (206); if it sent the whole file (200), the
    /// reader starts at byte 0.
    pub fn open_from(
        &self,
        path: &str,
        offset: u64,
    ) -> Result<Option<(bool, impl Read + use<>)>, VerifyError> {
        let url = self.url(path);
        let mut request = self.agent.get(&url);
        if offset > 0 {
            request = request.header("Range", format!("bytes={offset}-"));
        }
        match request.call() {
            Ok(response) => {
                let ranged = offset > 0 && response.status().as_u16() == 206;
                Ok(Some((ranged, response.into_body().into_reader())))
            }
            Err(ureq::Error::StatusCode(404 | 410)) => Ok(None),
            Err(err) => Err(VerifyError::Read {
                path: url,
                reason: err.to_string(),
            }),
        }
    }

    fn error(&self, path: &str, err: std::io::Error) -> VerifyError {
        VerifyError::Read {
            path: self.url(path),
            reason: err.to_string(),
        }
    }
}

impl Source for Web {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, VerifyError> {
        let Some(reader) = self.open(path)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        reader
            .take(SMALL_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| self.error(path, e))?;
        if bytes.len() as u64 > SMALL_LIMIT {
            return Err(VerifyError::Read {
                path: self.url(path),
                reason: format!(
                    "larger than {} MiB: not a manifest file a Kaifang site writes",
                    SMALL_LIMIT >> 20
                ),
            });
        }
        Ok(Some(bytes))
    }

    fn digest(&self, path: &str) -> Result<Option<(u64, String)>, VerifyError> {
        let Some(reader) = self.open(path)? else {
            return Ok(None);
        };
        digest_reader(reader)
            .map(Some)
            .map_err(|e| self.error(path, e))
    }

    fn list(&self) -> Result<Option<Vec<String>>, VerifyError> {
        Ok(None)
    }

    fn describe(&self) -> String {
        self.base.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded_segment_by_segment() {
        let web = Web::new("http://127.0.0.1:1");
        assert_eq!(
            web.url("datasets/a b/数据.csv"),
            "http://127.0.0.1:1/datasets/a%20b/%E6%95%B0%E6%8D%AE.csv"
        );
    }
}
