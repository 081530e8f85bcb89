//! Who may call the node's JSON-RPC, as fluxd decides it (`src/httprpc.cpp`, `src/rpc/server.cpp`,
//! `src/httpserver.cpp`): HTTP Basic authentication against a cookie the node writes into its data
//! directory at start (`__cookie__:<random hex>`, readable by its owner only, removed at a clean
//! stop) or a configured user and password, compared in constant time; callers outside the allowed
//! addresses (loopback unless told otherwise) are refused before authentication.

use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use base64::Engine;

/// The user name of cookie authentication (`COOKIEAUTH_USER`, `rpc/server.cpp`).
pub const COOKIE_USER: &str = "__cookie__";

/// The cookie file's name in the data directory (`COOKIEAUTH_FILE`).
pub const COOKIE_FILE: &str = ".cookie";

/// Why RPC access could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RpcAccessError {
    /// The cookie could not be made or written.
    #[error("cannot write the RPC cookie {path}: {source}")]
    Cookie {
        /// The cookie file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// An `--rpc-allow-ip` value is neither an address nor an address/prefix.
    #[error("--rpc-allow-ip {0}: not an IP address or ADDRESS/PREFIX")]
    BadAllowedAddress(String),
    /// A password given for `--rpc-user` is empty or has a `:` in the user name.
    #[error("--rpc-user needs a user without ':' and a non-empty password")]
    BadUser,
}

/// An address range callers may come from (`-rpcallowip`: an address or `address/prefix`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AllowedRange {
    network: IpAddr,
    prefix: u8,
}

impl AllowedRange {
    /// Parses `ADDRESS` or `ADDRESS/PREFIX`.
    ///
    /// # Errors
    /// [`RpcAccessError::BadAllowedAddress`].
    pub fn parse(text: &str) -> Result<AllowedRange, RpcAccessError> {
        let bad = || RpcAccessError::BadAllowedAddress(text.to_owned());
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| bad())?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(prefix) => prefix
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(bad)?,
            None => max,
        };
        Ok(AllowedRange { network, prefix })
    }

    /// Whether `ip` is in the range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        };
        let (a, b, bits) = match (self.network, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (
                u128::from(u32::from(a)) << 96,
                u128::from(u32::from(b)) << 96,
                self.prefix,
            ),
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), self.prefix),
            _ => return false,
        };
        let mask = if bits == 0 {
            0
        } else {
            u128::MAX << (128 - u32::from(bits))
        };
        a & mask == b & mask
    }
}

/// Who may call: the accepted `user:password` pairs and the allowed caller addresses.
#[derive(Debug)]
pub struct RpcAccess {
    credentials: Vec<String>,
    allowed: Vec<AllowedRange>,
    cookie: Option<PathBuf>,
}

/// What an HTTP request's caller and `Authorization` header amount to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it.
    Allowed,
    /// The caller's address is not allowed (HTTP 403, as fluxd's `ClientAllowed`).
    Forbidden,
    /// No or wrong credentials (HTTP 401).
    Unauthorized,
}

fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::io::Read::read_exact(&mut std::fs::File::open("/dev/urandom")?, &mut buffer)?;
    Ok(hex::encode(buffer))
}

impl RpcAccess {
    /// Writes a fresh cookie into `data_dir` (mode 0600) and accepts it, plus `user` if given
    /// (`user:password`), from callers in `allowed` (loopback when empty).
    ///
    /// # Errors
    /// [`RpcAccessError`].
    pub fn start(
        data_dir: &Path,
        user: Option<(String, String)>,
        allowed: Vec<AllowedRange>,
    ) -> Result<RpcAccess, RpcAccessError> {
        let path = data_dir.join(COOKIE_FILE);
        let cookie_error = |source| RpcAccessError::Cookie {
            path: path.clone(),
            source,
        };
        let cookie = format!("{COOKIE_USER}:{}", random_hex(32).map_err(cookie_error)?);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path).map_err(cookie_error)?;
        // An older file keeps its mode through `open`: set it again.
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .map_err(cookie_error)?;
        file.write_all(cookie.as_bytes()).map_err(cookie_error)?;
        let mut credentials = vec![cookie];
        if let Some((name, password)) = user {
            if name.contains(':') || password.is_empty() {
                return Err(RpcAccessError::BadUser);
            }
            credentials.push(format!("{name}:{password}"));
        }
        Ok(RpcAccess {
            credentials,
            allowed,
            cookie: Some(path),
        })
    }

    /// Whether a caller from `peer` with this `Authorization` header value may call. Every
    /// credential is compared, each in time independent of where the bytes differ.
    pub fn check(&self, peer: IpAddr, authorization: Option<&[u8]>) -> Verdict {
        let allowed = if self.allowed.is_empty() {
            peer.is_loopback()
                || matches!(peer, IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()))
        } else {
            self.allowed.iter().any(|range| range.contains(peer))
        };
        if !allowed {
            return Verdict::Forbidden;
        }
        let Some(given) = authorization.and_then(basic_credentials) else {
            return Verdict::Unauthorized;
        };
        let mut matched = false;
        for expected in &self.credentials {
            matched |= constant_time_eq(expected.as_bytes(), &given);
        }
        if matched {
            Verdict::Allowed
        } else {
            Verdict::Unauthorized
        }
    }

    /// Removes the cookie file (a clean stop, as fluxd's `DeleteAuthCookie`).
    pub fn remove_cookie(&self) {
        if let Some(path) = &self.cookie {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The decoded `user:password` of a `Basic` authorization header value.
fn basic_credentials(value: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(value).ok()?;
    let encoded = text.strip_prefix("Basic ")?.trim();
    base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()
}

/// Equality whose time depends on the lengths only: the SHA-256 digests of both sides are
/// compared byte by byte without an early exit, so neither a prefix nor the length of the
/// secret leaks through timing.
fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    let a = flux_tx::keys::sha256d(expected);
    let b = flux_tx::keys::sha256d(given);
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

/// The `Authorization` header value for `user:password` credentials (a cookie file's content).
pub fn basic_header(credentials: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials.trim())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_match_by_prefix() {
        let range = AllowedRange::parse("10.1.0.0/16").unwrap();
        assert!(range.contains("10.1.200.3".parse().unwrap()));
        assert!(!range.contains("10.2.0.1".parse().unwrap()));
        assert!(range.contains("::ffff:10.1.0.9".parse().unwrap()));
        let one = AllowedRange::parse("192.168.1.7").unwrap();
        assert!(one.contains("192.168.1.7".parse().unwrap()));
        assert!(!one.contains("192.168.1.8".parse().unwrap()));
        assert!(
            AllowedRange::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in ["10.0.0.0/33", "host", "10.0.0.0/x", ""] {
            assert!(AllowedRange::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn basic_credentials_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let access = RpcAccess::start(
            dir.path(),
            Some(("alice".into(), "s3cret".into())),
            Vec::new(),
        )
        .unwrap();
        let cookie = std::fs::read_to_string(dir.path().join(COOKIE_FILE)).unwrap();
        assert!(cookie.starts_with("__cookie__:") && cookie.len() == 11 + 64);
        let local: IpAddr = "127.0.0.1".parse().unwrap();
        let header = |text: &str| basic_header(text);
        assert_eq!(
            access.check(local, Some(header(&cookie).as_bytes())),
            Verdict::Allowed
        );
        assert_eq!(
            access.check(local, Some(header("alice:s3cret").as_bytes())),
            Verdict::Allowed
        );
        assert_eq!(
            access.check(local, Some(header("alice:s3cres").as_bytes())),
            Verdict::Unauthorized
        );
        assert_eq!(access.check(local, None), Verdict::Unauthorized);
        assert_eq!(
            access.check(local, Some(b"Bearer x")),
            Verdict::Unauthorized
        );
        assert_eq!(
            access.check(
                "10.0.0.1".parse().unwrap(),
                Some(header(&cookie).as_bytes())
            ),
            Verdict::Forbidden
        );
        access.remove_cookie();
        assert!(!dir.path().join(COOKIE_FILE).exists());
    }
}
