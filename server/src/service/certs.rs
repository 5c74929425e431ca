//! A private certificate authority for a self-signed setup, so an operator
//! without a public certificate can still serve `wss://` with one command
//! (`hostpulse-server --make-certs DIR`): a CA whose certificate the dashboard
//! is told to trust, and a server certificate it signed for the names viewers
//! dial. Tests build their TLS setups with the same code.

use std::io::Write;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};

/// A CA certificate and a server certificate with its key, all PEM.
pub struct SelfSigned {
    /// The CA's certificate: what viewers trust (`SSL_CERT_FILE`).
    pub ca_pem: String,
    /// The server's certificate, for `tls_cert`.
    pub cert_pem: String,
    /// The server's private key, for `tls_key`.
    pub key_pem: String,
}

/// Why the certificates could not be made or written.
#[derive(Debug, thiserror::Error)]
pub enum CertsError {
    /// rcgen refused a name or failed to sign.
    #[error("cannot make the certificates: {0}")]
    Make(#[from] rcgen::Error),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

impl SelfSigned {
    /// Makes a CA and a server certificate valid for `names` (DNS names or IP
    /// addresses).
    pub fn generate(names: &[String]) -> Result<Self, CertsError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        // A name of its own per CA: clients pick the issuer by name, so two
        // CAs with one name would report a bad signature, not an unknown CA.
        let ca_name = format!(
            "HostPulse CA for {} ({:08x})",
            names.first().map_or("hostpulse", String::as_str),
            fastrand::u32(..)
        );
        ca_params
            .distinguished_name
            .push(DnType::CommonName, ca_name);
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate()?)?;

        let mut params = CertificateParams::new(names.to_vec())?;
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().map_or("hostpulse", String::as_str),
        );
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate()?;
        let cert = params.signed_by(&key, &ca)?;
        Ok(Self {
            ca_pem: ca.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }

    /// Writes `ca.pem`, `cert.pem` and `key.pem` (readable by the owner only)
    /// into `dir`, creating it. Refuses to overwrite, so a working setup is
    /// never replaced by accident.
    pub fn write_to(&self, dir: &Path) -> Result<[PathBuf; 3], CertsError> {
        let error = |path: &Path| {
            let path = path.to_owned();
            move |source| CertsError::Write { path, source }
        };
        std::fs::create_dir_all(dir).map_err(error(dir))?;
        let files = [
            (dir.join("ca.pem"), &self.ca_pem, 0o644),
            (dir.join("cert.pem"), &self.cert_pem, 0o644),
            (dir.join("key.pem"), &self.key_pem, 0o600),
        ];
        if let Some((path, _, _)) = files.iter().find(|(path, _, _)| path.exists()) {
            return Err(error(path)(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "it already exists; move it away or choose another directory",
            )));
        }
        for (path, text, mode) in &files {
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, *mode);
            #[cfg(not(unix))]
            let _ = mode;
            options
                .open(path)
                .and_then(|mut file| file.write_all(text.as_bytes()))
                .map_err(error(path))?;
        }
        Ok(files.map(|(path, _, _)| path))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]

    use super::*;

    #[test]
    fn writes_a_pair_the_server_loads_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let made = SelfSigned::generate(&["localhost".into(), "127.0.0.1".into()]).unwrap();
        let [ca, cert, key] = made.write_to(dir.path()).unwrap();
        assert!(
            std::fs::read_to_string(&ca)
                .unwrap()
                .contains("BEGIN CERTIFICATE")
        );
        crate::service::tls::Tls::load(&cert, &key).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let permissions = std::fs::metadata(&key).unwrap().permissions();
            assert_eq!(permissions.mode() & 0o777, 0o600);
        }
        let again = made.write_to(dir.path()).unwrap_err().to_string();
        assert!(
            again.contains("ca.pem") && again.contains("already exists"),
            "{again}"
        );
    }
}
