//! Ed25519 signatures in the minisign format, so operators can check a manifest with the
//! stock `minisign -V` tool as well as with `kaifang mirror verify`.
//!
//! The secret key is kept without a password: the daemon signs unattended. It must live
//! outside the site and the catalog (the builder refuses one inside either) and be readable
//! only by the publishing account; `kaifang keygen` writes it with mode 0600.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use minisign::{KeyPair, PublicKey, PublicKeyBox, SecretKey, SecretKeyBox, SignatureBox};

/// Why a key could not be made, read or used, or a signature did not verify.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// A key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A key file is not a minisign key of the expected kind.
    #[error("{path}: not a usable minisign {what}: {reason}")]
    BadKey {
        /// The key file.
        path: PathBuf,
        /// "secret key" or "public key".
        what: &'static str,
        /// What minisign said.
        reason: String,
    },
    /// The signature is malformed, made by another key, or does not match the bytes.
    #[error("the signature does not verify: {0}")]
    BadSignature(String),
    /// Key generation or signing failed inside minisign.
    #[error("minisign: {0}")]
    Minisign(String),
}

/// A secret key loaded for signing.
pub struct Signer {
    secret: SecretKey,
    public: PublicKey,
}

/// Creates a key pair: `secret` (mode 0600) and `public`. Refuses to overwrite either.
pub fn generate(secret: &Path, public: &Path) -> Result<(), SigningError> {
    for path in [secret, public] {
        if path.exists() {
            return Err(SigningError::Io {
                path: path.to_path_buf(),
                source: std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    "already exists; remove it first to make a new key pair",
                ),
            });
        }
    }
    let KeyPair { pk, sk } = KeyPair::generate_unencrypted_keypair()
        .map_err(|e| SigningError::Minisign(e.to_string()))?;
    let secret_text = sk
        .to_box(Some("kaifang manifest signing key"))
        .map_err(|e| SigningError::Minisign(e.to_string()))?
        .to_string();
    let public_text = pk
        .to_box()
        .map_err(|e| SigningError::Minisign(e.to_string()))?
        .to_string();
    write_private(secret, secret_text.as_bytes())?;
    std::fs::write(public, public_text).map_err(|source| SigningError::Io {
        path: public.to_path_buf(),
        source,
    })
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SigningError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|source| SigningError::Io {
            path: path.to_path_buf(),
            source,
        })
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), SigningError> {
    std::fs::write(path, bytes).map_err(|source| SigningError::Io {
        path: path.to_path_buf(),
        source,
    })
}

impl Signer {
    /// Loads a secret key written by [`generate`] (or `minisign -G -W`).
    pub fn load(path: &Path) -> Result<Signer, SigningError> {
        let bad = |reason: String| SigningError::BadKey {
            path: path.to_path_buf(),
            what: "secret key",
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|source| SigningError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            if mode & 0o077 != 0 {
                return Err(bad(format!(
                    "other accounts can read it (mode {:o}); run `chmod 600 {}`",
                    mode & 0o777,
                    path.display()
                )));
            }
        }
        let secret = SecretKeyBox::from_string(&text)
            .and_then(|b| b.into_unencrypted_secret_key())
            .map_err(|e| {
                bad(format!(
                    "{e} (the key must have no password: make one with `kaifang keygen`)"
                ))
            })?;
        let public = PublicKey::from_secret_key(&secret).map_err(|e| bad(e.to_string()))?;
        Ok(Signer { secret, public })
    }

    /// The minisign signature file of `bytes`, with this trusted comment.
    pub fn sign(&self, bytes: &[u8], trusted_comment: &str) -> Result<String, SigningError> {
        minisign::sign(
            Some(&self.public),
            &self.secret,
            Cursor::new(bytes),
            Some(trusted_comment),
            Some("signature of a kaifang mirror manifest"),
        )
        .map(|signature| signature.into_string())
        .map_err(|e| SigningError::Minisign(e.to_string()))
    }
}

/// A public key loaded for verifying.
pub struct Verifier {
    public: PublicKey,
}

impl Verifier {
    /// Loads a minisign public key file.
    pub fn load(path: &Path) -> Result<Verifier, SigningError> {
        let text = std::fs::read_to_string(path).map_err(|source| SigningError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Verifier::from_text(&text).map_err(|reason| SigningError::BadKey {
            path: path.to_path_buf(),
            what: "public key",
            reason,
        })
    }

    /// Reads a public key from the text of a `.pub` file, or from its base64 line alone.
    fn from_text(text: &str) -> Result<Verifier, String> {
        let public = PublicKeyBox::from_string(text)
            .and_then(|b| b.into_public_key())
            .or_else(|_| PublicKey::from_base64(text.trim()))
            .map_err(|e| e.to_string())?;
        Ok(Verifier { public })
    }

    /// Checks a signature file over `bytes`; returns its trusted comment.
    pub fn verify(&self, bytes: &[u8], signature: &str) -> Result<String, SigningError> {
        let signature = SignatureBox::from_string(signature)
            .map_err(|e| SigningError::BadSignature(e.to_string()))?;
        minisign::verify(
            &self.public,
            &signature,
            Cursor::new(bytes),
            true,
            false,
            false,
        )
        .map_err(|e| SigningError::BadSignature(e.to_string()))?;
        signature
            .trusted_comment()
            .map_err(|e| SigningError::BadSignature(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_a_changed_byte_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = (dir.path().join("k.key"), dir.path().join("k.pub"));
        generate(&secret, &public).unwrap();
        assert!(
            generate(&secret, &public).is_err(),
            "a key is never overwritten"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let signer = Signer::load(&secret).unwrap();
        let verifier = Verifier::load(&public).unwrap();
        let signature = signer.sign(b"manifest", "generation:7").unwrap();
        assert_eq!(
            verifier.verify(b"manifest", &signature).unwrap(),
            "generation:7"
        );
        assert!(matches!(
            verifier.verify(b"manifesT", &signature),
            Err(SigningError::BadSignature(_))
        ));
        // Another key's signature is refused.
        let other = tempfile::tempdir().unwrap();
        let (s2, p2) = (other.path().join("k.key"), other.path().join("k.pub"));
        generate(&s2, &p2).unwrap();
        let forged = Signer::load(&s2).unwrap().sign(b"manifest", "x").unwrap();
        assert!(verifier.verify(b"manifest", &forged).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_secret_key_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = (dir.path().join("k.key"), dir.path().join("k.pub"));
        generate(&secret, &public).unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = Signer::load(&secret).err().expect("refused");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn a_public_key_is_not_a_secret_key() {
        let dir = tempfile::tempdir().unwrap();
        let (secret, public) = (dir.path().join("k.key"), dir.path().join("k.pub"));
        generate(&secret, &public).unwrap();
        let err = Signer::load(&public).err().expect("refused");
        assert!(err.to_string().contains("k.pub"), "{err}");
    }
}
