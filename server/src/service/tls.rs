//! TLS for `wss://` and `https://`: the certificate chain and private key are
//! read from PEM files and turned into a rustls server configuration that
//! speaks TLS 1.3 and 1.2 only. Loading happens while the configuration is
//! checked, so a missing file, a file with no certificate, or a key that does
//! not belong to the certificate stops the server at start with the file named
//! — never at the first viewer's handshake.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The two files, and the loaded configuration made from them.
#[derive(Clone)]
pub struct Tls {
    /// The certificate chain (PEM): the server's certificate first.
    pub cert_path: PathBuf,
    /// The private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_path: PathBuf,
    config: Arc<ServerConfig>,
}

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("TLS {what} {path}: {problem}")]
pub struct TlsError {
    what: &'static str,
    path: PathBuf,
    problem: String,
}

impl Tls {
    /// Reads both files and checks that the key belongs to the certificate.
    pub fn load(cert_path: &Path, key_path: &Path) -> Result<Self, TlsError> {
        let cert_error = |problem: String| TlsError {
            what: "certificate",
            path: cert_path.to_owned(),
            problem,
        };
        let key_error = |problem: String| TlsError {
            what: "key",
            path: key_path.to_owned(),
            problem,
        };
        let chain = CertificateDer::pem_file_iter(cert_path)
            .map_err(|e| cert_error(pem_problem(&e)))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| cert_error(pem_problem(&e)))?;
        if chain.is_empty() {
            return Err(cert_error(
                "no \"BEGIN CERTIFICATE\" block in it: give the PEM certificate chain, \
                 the server's certificate first"
                    .into(),
            ));
        }
        let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| key_error(pem_problem(&e)))?;
        let mut config = ServerConfig::builder_with_protocol_versions(&[
            &rustls::version::TLS13,
            &rustls::version::TLS12,
        ])
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            key_error(format!(
                "does not fit the certificate {}: {e}",
                cert_path.display()
            ))
        })?;
        // WebSocket upgrades are HTTP/1.1.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            cert_path: cert_path.to_owned(),
            key_path: key_path.to_owned(),
            config: Arc::new(config),
        })
    }

    /// The rustls configuration to serve with.
    #[must_use]
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig::clone(&self.config)
    }
}

fn pem_problem(error: &rustls::pki_types::pem::Error) -> String {
    match error {
        rustls::pki_types::pem::Error::Io(io) => format!("cannot read it: {io}"),
        rustls::pki_types::pem::Error::NoItemsFound => {
            "no PEM private key in it (\"BEGIN PRIVATE KEY\", \"BEGIN RSA PRIVATE KEY\" or \
             \"BEGIN EC PRIVATE KEY\")"
                .into()
        }
        other => format!("not valid PEM: {other}"),
    }
}

impl PartialEq for Tls {
    fn eq(&self, other: &Self) -> bool {
        self.cert_path == other.cert_path && self.key_path == other.key_path
    }
}

impl Eq for Tls {}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn loads_a_matching_pair_and_names_what_is_wrong_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let one = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let two = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = write(&dir, "cert.pem", &one.cert.pem());
        let key = write(&dir, "key.pem", &one.signing_key.serialize_pem());
        let other_key = write(&dir, "other.pem", &two.signing_key.serialize_pem());
        let empty = write(&dir, "empty.pem", "nothing here\n");

        let tls = Tls::load(&cert, &key).unwrap();
        assert_eq!(
            tls.server_config().alpn_protocols,
            vec![b"http/1.1".to_vec()]
        );

        let error = |c: &Path, k: &Path| Tls::load(c, k).unwrap_err().to_string();
        let mismatch = error(&cert, &other_key);
        assert!(
            mismatch.contains("does not fit the certificate"),
            "{mismatch}"
        );
        let no_cert = error(&empty, &key);
        assert!(
            no_cert.contains("TLS certificate") && no_cert.contains("BEGIN CERTIFICATE"),
            "{no_cert}"
        );
        let no_key = error(&cert, &empty);
        assert!(
            no_key.contains("TLS key") && no_key.contains("no PEM private key"),
            "{no_key}"
        );
        let missing = error(&dir.path().join("absent.pem"), &key);
        assert!(missing.contains("absent.pem: cannot read it"), "{missing}");
    }
}
