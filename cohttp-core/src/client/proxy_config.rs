//! [`ProxyConfig`]: which proxy, if any, a request goes through; read from code or from
//! the environment with curl's rules.
//!
//! This file holds configuration and the choice of a proxy for a URI. Sending requests
//! through the chosen proxy is [`Proxy`](super::Proxy)'s job (a direct proxy
//! for most schemes, a [`Tunnel`](super::Tunnel) for `https`).
//!
//! The rules:
//! - a proxy set for the request's scheme beats the default proxy;
//! - a host exempted by [`NoProxy`] goes direct, whatever proxy is set;
//! - a proxy is written `http://host:port`, `host:port` or `host` (curl's forms). A proxy
//!   without a port uses 1080, as curl does. Credentials in it (`http://user:pass@host`)
//!   become a `Proxy-Authorization: Basic` header sent to that proxy. Only `http://`
//!   proxies are supported for now (an `https://` or SOCKS proxy is refused with a usage
//!   error, not silently used as something else).
//!
//! # The environment
//!
//! [`ProxyConfig::from_env`] reads, as curl does:
//! - `http_proxy` for `http` URIs, **lower case only**: in CGI-like settings a request
//!   header `Proxy:` becomes the variable `HTTP_PROXY`, so the upper-case form cannot be
//!   trusted;
//! - `https_proxy`, else `HTTPS_PROXY`, for `https` URIs;
//! - `all_proxy`, else `ALL_PROXY`, as the default for every scheme;
//! - `no_proxy`, else `NO_PROXY`.
//!
//! Empty variables count as unset. Reading the environment is never implicit: a
//! [`Client`](super::Client) uses a proxy only when given one. Tests pass their own variables to
//! [`ProxyConfig::from_vars`].
//!
//! ```
//! use cohttp_core::client::ProxyConfig;
//!
//! let config = ProxyConfig::from_vars([
//!     ("http_proxy", "proxy.internal:3128"),
//!     ("NO_PROXY", "localhost,.corp.example"),
//! ])
//! .unwrap();
//! let uri: http::Uri = "http://example.com/".parse().unwrap();
//! let proxy = config.proxy_for(&uri).unwrap();
//! assert_eq!(proxy.uri(), "http://proxy.internal:3128/");
//! let local: http::Uri = "http://www.corp.example/".parse().unwrap();
//! assert!(config.proxy_for(&local).is_none());
//! ```

use std::collections::HashMap;
use std::fmt;

use http::header::{HeaderMap, HeaderName, HeaderValue, PROXY_AUTHORIZATION};
use http::Uri;

use super::no_proxy::NoProxy;
use crate::error::{Error, Malformed, Result};

/// The port of a proxy written without one (curl's default).
pub const DEFAULT_PROXY_PORT: u16 = 1080;

/// One proxy server: where it is, and the credentials it was written with.
///
/// Cloning copies it. Built from curl's forms by [`ProxyServer::parse`].
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyServer {
    /// `http://host:port/`.
    uri: Uri,
    host: String,
    port: u16,
    /// `Basic ...` from credentials in the written form.
    authorization: Option<HeaderValue>,
}

impl ProxyServer {
    /// Parses a proxy written `http://[user:pass@]host[:port]`, `host:port` or `host`.
    ///
    /// A missing port is [`DEFAULT_PROXY_PORT`]. Fails with a usage error for another
    /// scheme than `http`, and with [`Malformed::InvalidUri`] when there is no host.
    pub fn parse(proxy: &str) -> Result<ProxyServer> {
        let proxy = proxy.trim();
        let with_scheme;
        let text = if proxy.contains("://") {
            proxy
        } else {
            with_scheme = format!("http://{proxy}");
            &with_scheme
        };
        let bad = || {
            Error::malformed(Malformed::InvalidUri).with_context(format!("invalid proxy {proxy:?}"))
        };
        let parsed: Uri = text.parse().map_err(|e| bad().with_source(e))?;
        let scheme = parsed.scheme_str().unwrap_or("").to_ascii_lowercase();
        if scheme != "http" {
            return Err(Error::usage(format!(
                "proxy scheme {scheme:?} is not supported (only http:// proxies are)"
            )));
        }
        let authority = parsed.authority().ok_or_else(bad)?;
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return Err(bad());
        }
        let port = authority.port_u16().unwrap_or(DEFAULT_PROXY_PORT);
        let uri: Uri = format!("http://{host}:{port}/")
            .parse()
            .map_err(|e| bad().with_source(e))?;
        let authorization = match authority.as_str().rsplit_once('@') {
            None => None,
            Some((userinfo, _)) => {
                let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
                let mut creds = percent_decode(user);
                creds.push(b':');
                creds.extend_from_slice(&percent_decode(pass));
                let value = format!("Basic {}", base64(&creds));
                Some(HeaderValue::from_str(&value).map_err(|e| bad().with_source(e))?)
            }
        };
        Ok(ProxyServer {
            uri,
            host,
            port,
            authorization,
        })
    }

    /// The proxy as a URI, `http://host:port/` (credentials removed).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The proxy's host (IPv6 in brackets).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The `Proxy-Authorization` value from credentials in the written form, if any.
    pub fn authorization(&self) -> Option<&HeaderValue> {
        self.authorization.as_ref()
    }

    /// The headers to send to this proxy: `extra` plus, unless `extra` has one, the
    /// `Proxy-Authorization` from the credentials.
    pub fn headers(&self, extra: &HeaderMap) -> HeaderMap {
        let mut headers = extra.clone();
        if let Some(auth) = &self.authorization {
            if !headers.contains_key(PROXY_AUTHORIZATION) {
                headers.insert(PROXY_AUTHORIZATION, auth.clone());
            }
        }
        headers
    }
}

impl fmt::Debug for ProxyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Credentials stay out of logs.
        f.debug_struct("ProxyServer")
            .field("uri", &self.uri)
            .field("credentials", &self.authorization.is_some())
            .finish()
    }
}

/// Which proxy each request goes through. See the module docs.
///
/// Cloning copies the configuration. The default proxies nothing.
#[derive(Clone, Debug, Default)]
pub struct ProxyConfig {
    /// By lower-case scheme.
    schemes: HashMap<String, ProxyServer>,
    default: Option<ProxyServer>,
    no_proxy: NoProxy,
    headers: HeaderMap,
}

impl ProxyConfig {
    /// A configuration that proxies nothing.
    pub fn new() -> ProxyConfig {
        ProxyConfig::default()
    }

    /// Sends requests of `scheme` (`http`, `https`, ...) through `proxy` (curl's forms,
    /// see [`ProxyServer::parse`]). Beats the default proxy.
    pub fn scheme_proxy(mut self, scheme: &str, proxy: &str) -> Result<ProxyConfig> {
        let server = ProxyServer::parse(proxy)?;
        self.schemes.insert(scheme.to_ascii_lowercase(), server);
        Ok(self)
    }

    /// Sends requests of every scheme without a proxy of its own through `proxy`.
    pub fn default_proxy(mut self, proxy: &str) -> Result<ProxyConfig> {
        self.default = Some(ProxyServer::parse(proxy)?);
        Ok(self)
    }

    /// Exempts hosts from proxying (curl's `no_proxy` syntax, see [`NoProxy`]).
    pub fn no_proxy(mut self, no_proxy: NoProxy) -> ProxyConfig {
        self.no_proxy = no_proxy;
        self
    }

    /// Adds a header sent to proxies only: on `CONNECT` for tunnels, on every request
    /// for direct proxies (`Proxy-Authorization`, say).
    pub fn proxy_header(mut self, name: HeaderName, value: HeaderValue) -> ProxyConfig {
        self.headers.append(name, value);
        self
    }

    /// Reads the process environment with curl's rules (see the module docs).
    ///
    /// Variables that are not UTF-8 are ignored. Fails when a proxy variable holds a
    /// proxy that cannot be used (see [`ProxyServer::parse`]).
    pub fn from_env() -> Result<ProxyConfig> {
        ProxyConfig::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Like [`from_env`](ProxyConfig::from_env), from the given variables instead of
    /// the process's.
    pub fn from_vars<I, K, V>(vars: I) -> Result<ProxyConfig>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(_, v)| !v.as_ref().trim().is_empty())
            .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
            .collect();
        let get = |names: &[&str]| names.iter().find_map(|n| vars.get(*n));
        let mut config = ProxyConfig::new();
        if let Some(p) = get(&["http_proxy"]) {
            config = config.scheme_proxy("http", p)?;
        }
        if let Some(p) = get(&["https_proxy", "HTTPS_PROXY"]) {
            config = config.scheme_proxy("https", p)?;
        }
        if let Some(p) = get(&["all_proxy", "ALL_PROXY"]) {
            config = config.default_proxy(p)?;
        }
        if let Some(n) = get(&["no_proxy", "NO_PROXY"]) {
            config = config.no_proxy(NoProxy::parse(n));
        }
        Ok(config)
    }

    /// The proxy for `scheme`, ignoring `no_proxy`: the scheme's own, else the default.
    pub fn proxy_for_scheme(&self, scheme: &str) -> Option<&ProxyServer> {
        self.schemes
            .get(&scheme.to_ascii_lowercase())
            .or(self.default.as_ref())
    }

    /// The proxy a request to `uri` goes through, or `None` to go direct (no proxy set
    /// for its scheme, or its host exempted by `no_proxy`).
    pub fn proxy_for(&self, uri: &Uri) -> Option<&ProxyServer> {
        let scheme = uri.scheme_str().unwrap_or("http");
        let proxy = self.proxy_for_scheme(scheme)?;
        let host = uri.host().unwrap_or("");
        let port = uri.port_u16().or_else(|| default_port(scheme)).unwrap_or(0);
        if self.no_proxy.matches(host, port) {
            return None;
        }
        Some(proxy)
    }

    /// The `no_proxy` list.
    pub fn no_proxy_list(&self) -> &NoProxy {
        &self.no_proxy
    }

    /// The headers sent to proxies.
    pub fn proxy_headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Whether no proxy is set at all.
    pub fn is_empty(&self) -> bool {
        self.schemes.is_empty() && self.default.is_none()
    }

    /// The scheme-specific proxies, by lower-case scheme.
    pub fn scheme_proxies(&self) -> impl Iterator<Item = (&str, &ProxyServer)> {
        self.schemes.iter().map(|(s, p)| (s.as_str(), p))
    }

    /// The default proxy.
    pub fn default_proxy_server(&self) -> Option<&ProxyServer> {
        self.default.as_ref()
    }
}

/// The default port of a scheme this client speaks.
pub(crate) fn default_port(scheme: &str) -> Option<u16> {
    match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Standard base64 with padding (RFC 4648 §4), as Basic credentials use.
fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        s.parse().unwrap()
    }

    fn chosen(config: &ProxyConfig, target: &str) -> Option<String> {
        config.proxy_for(&uri(target)).map(|p| p.uri().to_string())
    }

    #[test]
    fn proxy_forms_follow_curl() {
        let p = ProxyServer::parse("proxy.internal:3128").unwrap();
        assert_eq!(p.uri(), "http://proxy.internal:3128/");
        assert_eq!((p.host(), p.port()), ("proxy.internal", 3128));
        let p = ProxyServer::parse("http://proxy.internal").unwrap();
        assert_eq!(p.port(), DEFAULT_PROXY_PORT);
        let p = ProxyServer::parse("proxy").unwrap();
        assert_eq!(p.uri(), "http://proxy:1080/");
        let p = ProxyServer::parse(" http://[::1]:8080/ ").unwrap();
        assert_eq!(p.uri(), "http://[::1]:8080/");
        assert_eq!(p.host(), "[::1]");
        let p = ProxyServer::parse("HTTP://Proxy:80").unwrap();
        assert_eq!(p.uri(), "http://proxy:80/");
    }

    #[test]
    fn unsupported_proxy_schemes_are_refused() {
        for bad in ["https://proxy:443", "socks5://proxy:1080", "socks5h://p"] {
            let e = ProxyServer::parse(bad).unwrap_err();
            assert_eq!(e.kind(), &crate::ErrorKind::Usage, "{bad}");
        }
    }

    #[test]
    fn proxies_without_a_host_are_malformed() {
        for bad in ["http://", "http://:8080", "", "http://a b"] {
            let e = ProxyServer::parse(bad).unwrap_err();
            assert_eq!(
                e.kind(),
                &crate::ErrorKind::Malformed(Malformed::InvalidUri),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn credentials_become_basic_proxy_authorization() {
        let p = ProxyServer::parse("http://aladdin:open%20sesame@proxy:3128").unwrap();
        assert_eq!(p.uri(), "http://proxy:3128/");
        assert_eq!(
            p.authorization().unwrap(),
            "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert!(!format!("{p:?}").contains("YWxh"));
        let h = p.headers(&HeaderMap::new());
        assert_eq!(h[PROXY_AUTHORIZATION], "Basic YWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        let mut given = HeaderMap::new();
        given.insert(PROXY_AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(p.headers(&given)[PROXY_AUTHORIZATION], "Bearer x");
        assert!(ProxyServer::parse("proxy")
            .unwrap()
            .authorization()
            .is_none());
    }

    #[test]
    fn base64_pads_like_rfc_4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foob"), "Zm9vYg==");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    fn percent_decoding_keeps_broken_escapes() {
        assert_eq!(percent_decode("a%20b"), b"a b");
        assert_eq!(percent_decode("a%2"), b"a%2");
        assert_eq!(percent_decode("%zz%41"), b"%zzA");
        assert_eq!(percent_decode("%"), b"%");
    }

    #[test]
    fn scheme_proxy_beats_the_default() {
        let config = ProxyConfig::new()
            .default_proxy("all:1")
            .unwrap()
            .scheme_proxy("HTTPS", "secure:2")
            .unwrap();
        assert_eq!(
            chosen(&config, "https://a.test/").unwrap(),
            "http://secure:2/"
        );
        assert_eq!(chosen(&config, "http://a.test/").unwrap(), "http://all:1/");
        assert_eq!(chosen(&config, "ws://a.test/").unwrap(), "http://all:1/");
    }

    #[test]
    fn no_proxy_set_means_direct() {
        let config = ProxyConfig::new().scheme_proxy("http", "p:1").unwrap();
        assert!(chosen(&config, "https://a.test/").is_none());
        assert!(ProxyConfig::new().is_empty());
        assert!(!config.is_empty());
    }

    #[test]
    fn no_proxy_exempts_with_the_uri_port_or_the_scheme_default() {
        let config = ProxyConfig::new()
            .default_proxy("p:1")
            .unwrap()
            .no_proxy(NoProxy::parse("a.test:8080, b.test:443, .c.test"));
        assert!(chosen(&config, "http://a.test:8080/").is_none());
        assert!(chosen(&config, "http://a.test/").is_some());
        assert!(chosen(&config, "https://b.test/").is_none());
        assert!(chosen(&config, "http://b.test/").is_some());
        assert!(chosen(&config, "http://x.c.test/").is_none());
        assert!(chosen(&config, "http://nonc.test/").is_some());
    }

    #[test]
    fn env_http_proxy_is_lower_case_only() {
        let config = ProxyConfig::from_vars([("HTTP_PROXY", "evil:1")]).unwrap();
        assert!(config.is_empty());
        let config =
            ProxyConfig::from_vars([("HTTP_PROXY", "evil:1"), ("http_proxy", "good:2")]).unwrap();
        assert_eq!(chosen(&config, "http://a.test/").unwrap(), "http://good:2/");
    }

    #[test]
    fn env_https_all_and_no_proxy_prefer_lower_case() {
        let config = ProxyConfig::from_vars([
            ("HTTPS_PROXY", "upper-s:1"),
            ("https_proxy", "lower-s:2"),
            ("ALL_PROXY", "upper-all:3"),
            ("all_proxy", "lower-all:4"),
            ("NO_PROXY", "upper.test"),
            ("no_proxy", "lower.test"),
        ])
        .unwrap();
        assert_eq!(
            chosen(&config, "https://a.test/").unwrap(),
            "http://lower-s:2/"
        );
        assert_eq!(
            chosen(&config, "http://a.test/").unwrap(),
            "http://lower-all:4/"
        );
        assert!(chosen(&config, "http://lower.test/").is_none());
        assert!(chosen(&config, "http://upper.test/").is_some());
    }

    #[test]
    fn env_upper_case_forms_are_read_when_alone() {
        let config = ProxyConfig::from_vars([
            ("HTTPS_PROXY", "s:1"),
            ("ALL_PROXY", "all:3"),
            ("NO_PROXY", "*"),
        ])
        .unwrap();
        assert_eq!(
            config.proxy_for_scheme("https").unwrap().uri(),
            "http://s:1/"
        );
        assert_eq!(
            config.proxy_for_scheme("http").unwrap().uri(),
            "http://all:3/"
        );
        assert!(chosen(&config, "https://a.test/").is_none());
    }

    #[test]
    fn env_empty_variables_count_as_unset() {
        let config = ProxyConfig::from_vars([
            ("https_proxy", ""),
            ("HTTPS_PROXY", "s:1"),
            ("no_proxy", " "),
            ("NO_PROXY", "n.test"),
        ])
        .unwrap();
        assert_eq!(chosen(&config, "https://a.test/").unwrap(), "http://s:1/");
        assert!(chosen(&config, "https://n.test/").is_none());
    }

    #[test]
    fn env_unusable_proxy_is_an_error() {
        let e = ProxyConfig::from_vars([("all_proxy", "socks5://s:1080")]).unwrap_err();
        assert_eq!(e.kind(), &crate::ErrorKind::Usage);
    }

    #[test]
    fn env_unrelated_variables_are_ignored() {
        let config = ProxyConfig::from_vars([("PATH", "/bin"), ("ftp_proxy", "f:1")]).unwrap();
        assert!(config.is_empty());
    }
}
