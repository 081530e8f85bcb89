//! Where a Docker engine listens and how to reach it: [`EngineAddress`], one per fluxnode when
//! every node has an engine of its own (FluxOS's shape), and the client certificate files of a
//! TLS engine ([`TlsFiles`], `docker --tlsverify`'s names).

use core::fmt;
use std::path::{Path, PathBuf};

/// The client side of a mutual-TLS engine: the CA that signed the engine's certificate, and this
/// client's certificate and key (PEM).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsFiles {
    /// The CA certificate the engine's certificate must chain to.
    pub ca: PathBuf,
    /// This client's certificate.
    pub cert: PathBuf,
    /// This client's private key.
    pub key: PathBuf,
}

impl TlsFiles {
    /// The files the `docker` CLI reads from `DOCKER_CERT_PATH`: `ca.pem`, `cert.pem`, `key.pem`
    /// in `dir`.
    pub fn in_dir(dir: &Path) -> Self {
        TlsFiles {
            ca: dir.join("ca.pem"),
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        }
    }
}

/// Why an engine address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// The URL's scheme is none the runtime speaks.
    #[error(
        "unsupported engine URL {0}: use unix:///PATH, a socket path, tcp://HOST:PORT, \
         http://HOST:PORT or https://HOST:PORT"
    )]
    Scheme(String),
    /// `https://` needs client certificates.
    #[error(
        "engine {0} uses TLS but no certificate directory was given (ca.pem, cert.pem, key.pem)"
    )]
    MissingTls(String),
    /// Certificates were given for a local socket, which has no TLS.
    #[error("engine {0} is a local socket: TLS certificates do not apply to it")]
    TlsOnSocket(String),
}

/// How the engine is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Transport {
    Socket,
    Tcp,
}

/// One engine's address: a local socket, a plain TCP engine, or a TCP engine with mutual TLS.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EngineAddress {
    url: String,
    tls: Option<TlsFiles>,
}

impl EngineAddress {
    /// An address from a URL (`unix:///run/docker.sock`, `/run/docker.sock`, `tcp://host:2375`,
    /// `http://host:2375`, `https://host:2376`) and, for a TLS engine, its client certificates.
    /// A `tcp://` URL with certificates is a TLS engine, as with `docker --tlsverify -H tcp://…`.
    ///
    /// # Errors
    ///
    /// [`AddressError`] for an unknown scheme, `https://` without certificates, or certificates
    /// for a local socket.
    pub fn new(url: &str, tls: Option<TlsFiles>) -> Result<Self, AddressError> {
        let transport = if url.starts_with("unix://") || url.starts_with('/') {
            Transport::Socket
        } else if url.starts_with("tcp://")
            || url.starts_with("http://")
            || url.starts_with("https://")
        {
            Transport::Tcp
        } else {
            return Err(AddressError::Scheme(url.to_owned()));
        };
        match (transport, &tls) {
            (Transport::Socket, Some(_)) => Err(AddressError::TlsOnSocket(url.to_owned())),
            (Transport::Tcp, None) if url.starts_with("https://") => {
                Err(AddressError::MissingTls(url.to_owned()))
            }
            _ => Ok(EngineAddress {
                url: url.to_owned(),
                tls,
            }),
        }
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The client certificates of a TLS engine.
    pub fn tls(&self) -> Option<&TlsFiles> {
        self.tls.as_ref()
    }

    /// True for a local socket.
    pub fn is_socket(&self) -> bool {
        self.url.starts_with("unix://") || self.url.starts_with('/')
    }

    /// The host of a TCP engine (`10.0.0.5` of `tcp://10.0.0.5:2376`), `None` for a socket.
    pub fn host(&self) -> Option<&str> {
        if self.is_socket() {
            return None;
        }
        let rest = self.url.split_once("://").map_or(&*self.url, |(_, r)| r);
        let authority = rest.split('/').next().unwrap_or(rest);
        if let Some(bracketed) = authority.strip_prefix('[') {
            return bracketed.split_once(']').map(|(host, _)| host);
        }
        Some(
            authority
                .rsplit_once(':')
                .map_or(authority, |(host, _)| host),
        )
    }
}

impl fmt::Display for EngineAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)?;
        if self.tls.is_some() && !self.url.starts_with("https://") {
            f.write_str(" (TLS)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_tls_combinations() {
        let certs = TlsFiles::in_dir(Path::new("/certs"));
        assert_eq!(certs.key, Path::new("/certs/key.pem"));
        assert!(
            EngineAddress::new("unix:///run/docker.sock", None)
                .unwrap()
                .is_socket()
        );
        assert!(
            EngineAddress::new("/run/docker.sock", None)
                .unwrap()
                .is_socket()
        );
        assert_eq!(
            EngineAddress::new("ssh://host", None),
            Err(AddressError::Scheme("ssh://host".into()))
        );
        assert_eq!(
            EngineAddress::new("https://h:2376", None),
            Err(AddressError::MissingTls("https://h:2376".into()))
        );
        assert_eq!(
            EngineAddress::new("unix:///s", Some(certs.clone())),
            Err(AddressError::TlsOnSocket("unix:///s".into()))
        );
        let tls = EngineAddress::new("tcp://10.0.0.5:2376", Some(certs)).unwrap();
        assert_eq!(tls.to_string(), "tcp://10.0.0.5:2376 (TLS)");
        assert!(tls.tls().is_some());
    }

    #[test]
    fn hosts_of_tcp_engines() {
        let host = |url: &str| {
            EngineAddress::new(url, None)
                .unwrap()
                .host()
                .map(str::to_owned)
        };
        assert_eq!(host("tcp://10.0.0.5:2376").as_deref(), Some("10.0.0.5"));
        assert_eq!(
            host("http://engine.example/").as_deref(),
            Some("engine.example")
        );
        assert_eq!(host("tcp://[::1]:2375").as_deref(), Some("::1"));
        assert_eq!(host("unix:///run/docker.sock"), None);
    }
}
