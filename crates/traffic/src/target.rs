//! The safety check on the target: the generator sends only to loopback addresses unless it is
//! explicitly allowed to do otherwise, and it checks the addresses the host name resolves to.

use std::net::{IpAddr, SocketAddr};
use url::{Host, Url};

/// A target the generator refuses.
#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("target {0}: only http:// targets are supported")]
    Scheme(Url),
    #[error("target {0} has no host")]
    NoHost(Url),
    #[error("target {url}: cannot resolve {host}: {reason}")]
    Resolve { url: Url, host: String, reason: String },
    #[error(
        "target {url} resolves to {addr}, which is not a loopback address; the generator sends traffic \
         only to this machine unless you pass --allow-non-loopback (allow_non_loopback: true in lab.yaml)"
    )]
    NotLoopback { url: Url, addr: IpAddr },
}

/// The checked target: where requests go, and the addresses its host resolved to.
#[derive(Debug, Clone)]
pub struct ResolvedTarget {
    pub url: Url,
    /// Host name and addresses to pin in the HTTP client, so it connects where it was checked.
    pub pinned: Option<(String, Vec<SocketAddr>)>,
}

/// True for 127.0.0.0/8, ::1 and IPv4-mapped loopback addresses.
pub fn is_loopback(ip: IpAddr) -> bool {
    ip.to_canonical().is_loopback()
}

/// Resolves the target's host and refuses it unless every address is loopback or
/// `allow_non_loopback` is set.
pub async fn check_target(url: &Url, allow_non_loopback: bool) -> Result<ResolvedTarget, TargetError> {
    if url.scheme() != "http" {
        return Err(TargetError::Scheme(url.clone()));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let (addrs, pinned_host) = match url.host() {
        None => return Err(TargetError::NoHost(url.clone())),
        Some(Host::Ipv4(ip)) => (vec![SocketAddr::new(ip.into(), port)], None),
        Some(Host::Ipv6(ip)) => (vec![SocketAddr::new(ip.into(), port)], None),
        Some(Host::Domain(name)) => {
            let resolve_err = |reason: String| TargetError::Resolve {
                url: url.clone(),
                host: name.to_string(),
                reason,
            };
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
                .await
                .map_err(|e| resolve_err(e.to_string()))?
                .collect();
            if addrs.is_empty() {
                return Err(resolve_err("no addresses".into()));
            }
            (addrs, Some(name.to_string()))
        }
    };
    if !allow_non_loopback && let Some(bad) = addrs.iter().find(|a| !is_loopback(a.ip())) {
        return Err(TargetError::NotLoopback {
            url: url.clone(),
            addr: bad.ip(),
        });
    }
    Ok(ResolvedTarget {
        url: url.clone(),
        pinned: pinned_host.map(|h| (h, addrs)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_addresses() {
        for ip in ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"] {
            assert!(is_loopback(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "10.0.0.1",
            "192.0.2.1",
            "0.0.0.0",
            "::",
            "2001:db8::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(!is_loopback(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn loopback_targets_pass() {
        let t = check_target(&url("http://127.0.0.1:8080"), false).await.unwrap();
        assert!(t.pinned.is_none());
        check_target(&url("http://[::1]:8080/"), false).await.unwrap();
        let t = check_target(&url("http://localhost:9/"), false).await.unwrap();
        let (host, addrs) = t.pinned.unwrap();
        assert_eq!(host, "localhost");
        assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 9));
    }

    #[tokio::test]
    async fn non_loopback_needs_permission() {
        let err = check_target(&url("http://192.0.2.1:8080"), false)
            .await
            .unwrap_err();
        assert!(matches!(err, TargetError::NotLoopback { .. }));
        assert!(err.to_string().contains("--allow-non-loopback"), "{err}");
        check_target(&url("http://192.0.2.1:8080"), true).await.unwrap();
        let err = check_target(&url("http://[::ffff:10.1.2.3]/"), false)
            .await
            .unwrap_err();
        assert!(matches!(err, TargetError::NotLoopback { .. }));
    }

    #[tokio::test]
    async fn other_schemes_are_refused() {
        let err = check_target(&url("https://127.0.0.1/"), false).await.unwrap_err();
        assert!(matches!(err, TargetError::Scheme(_)));
        let err = check_target(&url("file:///etc/passwd"), false).await.unwrap_err();
        assert!(matches!(err, TargetError::Scheme(_)));
    }
}
