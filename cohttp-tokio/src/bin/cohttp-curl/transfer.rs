//! The transfers of one `cohttp-curl` run: requests built from the [`Args`], sent through
//! the client (pipelined per host where that is safe), redirects followed, responses
//! written in URL order.
//!
//! How requests travel:
//! - every request goes through one [`Proxy`] cache (one connection per endpoint), which
//!   routes by the proxy configuration (environment or `--proxy`);
//! - `GET` and `HEAD` requests without a body, two or more to one endpoint (the origin,
//!   or the direct proxy they go through), are pipelined on one connection with
//!   [`Client::callv`] and their responses read in order; a request of the pipeline
//!   that the server did not answer (a connection that turned out not persistent) is
//!   sent again through the cache;
//! - every connection, tunnels included, trusts the roots of `--cacert` (or nothing
//!   with `--insecure`), see [`trust`];
//! - redirects (`-L`) are followed by [`Redirect`]'s rules, through the cache, at most
//!   `--max-redirs` times.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::str::FromStr;

use cohttp_core::client::{
    CacheConfig, Call, Callv, Client, ConnectionConfig, Proxy, ProxyConfig, ProxyRoute, Redirect,
    TargetForm,
};
use cohttp_core::runtime::Ctx;
use cohttp_core::{Body, Error, Runtime};
use futures_util::stream::{self, StreamExt};
use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::{HeaderMap, Method, Request, Response, Uri};

use crate::args::Args;
use crate::failure::Failure;
use crate::head;
use crate::payload::Payload;
use crate::progress::Progress;
use crate::trust;

/// The requests of one pipeline.
type Pipeline = Callv<stream::Iter<std::vec::IntoIter<Request<Body>>>>;

/// Where a body goes.
enum Sink {
    Stdout,
    File(BufWriter<File>, String),
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        let result = match self {
            Sink::Stdout => std::io::stdout().lock().write_all(bytes),
            Sink::File(f, _) => f.write_all(bytes),
        };
        result
            .map_err(|e| Failure::new(23, format!("failed writing output to {}: {e}", self.name())))
    }

    fn finish(&mut self) -> Result<(), Failure> {
        let result = match self {
            Sink::Stdout => std::io::stdout().lock().flush(),
            Sink::File(f, _) => f.flush(),
        };
        result
            .map_err(|e| Failure::new(23, format!("failed writing output to {}: {e}", self.name())))
    }

    fn name(&self) -> &str {
        match self {
            Sink::Stdout => "stdout",
            Sink::File(_, name) => name,
        }
    }
}

/// One run: the shared parts of every transfer.
pub struct Transfer<'a> {
    args: &'a Args,
    method: Method,
    headers: HeaderMap,
    /// Default headers the user removed with `-H 'Name:'`.
    removed: Vec<HeaderName>,
    payload: Option<Payload>,
    proxy: Proxy,
    client: Client,
}

impl<'a> Transfer<'a> {
    /// Prepares the run: headers, body, proxies. Nothing is sent yet.
    pub fn new(rt: &Runtime, args: &'a Args) -> Result<Transfer<'a>, Failure> {
        let method = Method::from_str(&args.method())
            .map_err(|_| Failure::usage(format!("invalid method {:?}", args.method())))?;
        let (headers, removed) = headers(&args.headers)?;
        let payload = args.data.as_ref().map(Payload::new).transpose()?;
        let config = proxy_config(args.proxy.as_deref()).map_err(|e| Failure::from_error(&e))?;
        // One context for every connection: direct, pipelined, and through tunnels.
        let mut ctx = Ctx::new();
        if let Some(tls) = trust::tls_client(args.cacert.as_deref(), args.insecure)? {
            ctx = ctx.with_tls(tls);
        }
        let connection = ConnectionConfig::new().ctx(ctx);
        let cache = CacheConfig::new()
            .parallel(1)
            .connection(connection.clone());
        Ok(Transfer {
            args,
            method,
            headers,
            removed,
            payload,
            proxy: Proxy::new(rt, config, cache),
            client: Client::new(rt).connection_config(connection),
        })
    }

    /// Runs every transfer in URL order; stops at the first failure.
    pub async fn run(&self) -> Result<(), Failure> {
        let uris = self
            .args
            .urls
            .iter()
            .map(|u| parse_url(u))
            .collect::<Result<Vec<_>, _>>()?;
        let (mut pipelines, member) = self.pipelines(&uris);
        for (i, uri) in uris.iter().enumerate() {
            let mut sink = match self.args.outputs.get(i) {
                None => Sink::Stdout,
                Some(path) => Sink::File(
                    BufWriter::with_capacity(
                        64 * 1024,
                        File::create(path)
                            .map_err(|e| Failure::new(23, format!("cannot create {path}: {e}")))?,
                    ),
                    path.clone(),
                ),
            };
            let req = self.request(self.method.clone(), uri, &self.base_headers(), true);
            self.show_request(&req);
            let first = match member[i] {
                Some(p) => match pipelines[p].next().await {
                    Some(Err(e)) if e.is_retry() => self.proxy.call(req).await,
                    Some(res) => res,
                    None => Err(Error::usage("pipeline ended early")),
                },
                None => self.proxy.call(req).await,
            };
            let res = first.map_err(|e| Failure::from_error(&e))?;
            self.follow(uri.clone(), res, &mut sink).await?;
            sink.finish()?;
        }
        Ok(())
    }

    /// The pipelines: for each group of two or more body-less `GET`/`HEAD` requests to
    /// one endpoint, a `callv`; and for each URL, the index of its pipeline.
    fn pipelines(&self, uris: &[Uri]) -> (Vec<Pipeline>, Vec<Option<usize>>) {
        let mut member = vec![None; uris.len()];
        let safe = matches!(self.method, Method::GET | Method::HEAD) && self.payload.is_none();
        if !safe {
            return (Vec::new(), member);
        }
        let mut groups: Vec<(String, Uri, bool, Vec<usize>)> = Vec::new();
        let mut by_key: HashMap<String, usize> = HashMap::new();
        for (i, uri) in uris.iter().enumerate() {
            let (key, endpoint, forward) = match self.proxy.route_of(uri) {
                ProxyRoute::Direct => (
                    format!(
                        "{}://{}",
                        uri.scheme_str().unwrap_or("http"),
                        uri.authority().map(|a| a.as_str()).unwrap_or("")
                    ),
                    uri.clone(),
                    false,
                ),
                ProxyRoute::Forward(server) => {
                    (server.uri().to_string(), server.uri().clone(), true)
                }
                ProxyRoute::Tunnel(_) => continue,
            };
            let g = *by_key.entry(key.clone()).or_insert_with(|| {
                groups.push((key, endpoint, forward, Vec::new()));
                groups.len() - 1
            });
            groups[g].3.push(i);
        }
        let mut pipelines = Vec::new();
        for (_, endpoint, forward, members) in groups {
            if members.len() < 2 {
                continue;
            }
            let requests: Vec<Request<Body>> = members
                .iter()
                .map(|&i| {
                    let mut req =
                        self.request(self.method.clone(), &uris[i], &self.base_headers(), true);
                    if forward {
                        self.to_forward_proxy(&mut req);
                    }
                    req
                })
                .collect();
            match self.client.callv(&endpoint, stream::iter(requests)) {
                Ok(p) => {
                    for &i in &members {
                        member[i] = Some(pipelines.len());
                    }
                    pipelines.push(p);
                }
                // No pipeline: those requests go one by one through the cache, which
                // reports the same error.
                Err(_) => continue,
            }
        }
        (pipelines, member)
    }

    /// A request for a direct proxy: absolute form, the proxy's headers added.
    fn to_forward_proxy(&self, req: &mut Request<Body>) {
        req.extensions_mut().insert(TargetForm::Absolute);
        if let ProxyRoute::Forward(server) = self.proxy.route_of(req.uri()) {
            let extra = server.headers(self.proxy.config().proxy_headers());
            for (name, value) in &extra {
                if !req.headers().contains_key(name) {
                    req.headers_mut().append(name.clone(), value.clone());
                }
            }
        }
    }

    /// The headers every first request starts from (no `Host`, no body headers).
    fn base_headers(&self) -> HeaderMap {
        self.headers.clone()
    }

    /// A request to `uri`: `Host` set from it, the body and its headers when `with_body`
    /// and there is a payload.
    fn request(
        &self,
        method: Method,
        uri: &Uri,
        headers: &HeaderMap,
        with_body: bool,
    ) -> Request<Body> {
        // `Host` first, as it goes on the wire.
        let mut headers = match host_header(uri) {
            Some(host) => {
                let mut h = HeaderMap::with_capacity(headers.len() + 3);
                h.insert(HOST, host);
                h.extend(
                    headers
                        .iter()
                        .filter(|(n, _)| *n != HOST)
                        .map(|(n, v)| (n.clone(), v.clone())),
                );
                h
            }
            None => headers.clone(),
        };
        let body = match (&self.payload, with_body) {
            (Some(p), true) => {
                if !headers.contains_key(CONTENT_TYPE) && !self.removed.contains(&CONTENT_TYPE) {
                    if let Ok(v) = HeaderValue::from_str(&p.content_type) {
                        headers.insert(CONTENT_TYPE, v);
                    }
                }
                headers.insert(CONTENT_LENGTH, HeaderValue::from(p.len()));
                p.body()
            }
            _ => Body::empty(),
        };
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = uri.clone();
        *req.headers_mut() = headers;
        req
    }

    fn show_request(&self, req: &Request<Body>) {
        if !self.args.verbose {
            return;
        }
        let target = match self.proxy.route_of(req.uri()) {
            ProxyRoute::Forward(_) => req.uri().to_string(),
            _ => req
                .uri()
                .path_and_query()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "/".into()),
        };
        let _ = std::io::stderr().write_all(&head::request(req.method(), &target, req.headers()));
    }

    /// Writes the response to `sink`, following redirects first when asked.
    async fn follow(
        &self,
        mut uri: Uri,
        mut res: Response<Body>,
        sink: &mut Sink,
    ) -> Result<(), Failure> {
        let mut method = self.method.clone();
        let mut headers = self.base_headers();
        let mut with_body = true;
        let mut hops = 0;
        loop {
            if self.args.verbose {
                let _ = std::io::stderr().write_all(&head::response(&res, "< "));
            }
            let redirect = if self.args.follow {
                Redirect::from_response(&method, &uri, res.status(), res.headers())
                    .map_err(|e| Failure::from_error(&e))?
            } else {
                None
            };
            let Some(redirect) = redirect else { break };
            if self.args.include || self.args.head {
                sink.write(&head::response(&res, ""))?;
            }
            hops += 1;
            if hops > self.args.max_redirects {
                return Err(Failure::new(
                    47,
                    format!("maximum ({}) redirects followed", self.args.max_redirects),
                ));
            }
            // The redirect's own body is read and dropped, so the connection goes on.
            res.into_body()
                .drain()
                .await
                .map_err(|e| Failure::from_error(&e))?;
            check_scheme(redirect.uri())?;
            headers = redirect.headers(&headers);
            method = redirect.method();
            with_body = with_body && redirect.keeps_body();
            uri = redirect.uri().clone();
            let req = self.request(method.clone(), &uri, &headers, with_body);
            self.show_request(&req);
            res = self
                .proxy
                .call(req)
                .await
                .map_err(|e| Failure::from_error(&e))?;
        }
        if self.args.fail && res.status().as_u16() >= 400 {
            return Err(Failure::new(
                22,
                format!(
                    "the requested URL returned error: {}",
                    res.status().as_u16()
                ),
            ));
        }
        if self.args.include || self.args.head {
            sink.write(&head::response(&res, ""))?;
        }
        if method == Method::HEAD {
            return Ok(());
        }
        let total = res
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let mut progress =
            Progress::new(matches!(sink, Sink::File(..)) && !self.args.silent, total);
        let mut body = res.into_body();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| Failure::from_error(&e))?;
            sink.write(&chunk)?;
            progress.advance(chunk.len());
        }
        progress.finish();
        Ok(())
    }
}

/// The default headers with the user's `-H` applied, and the names the user removed.
///
/// `Name: value` replaces a default header of that name (several of one name are all
/// sent); `Name:` removes it; `Name;` sends it empty.
fn headers(lines: &[String]) -> Result<(HeaderMap, Vec<HeaderName>), Failure> {
    let mut headers = HeaderMap::new();
    headers.insert(
        http::header::USER_AGENT,
        HeaderValue::from_static(concat!("cohttp-curl/", env!("CARGO_PKG_VERSION"))),
    );
    headers.insert(http::header::ACCEPT, HeaderValue::from_static("*/*"));
    let mut user = HeaderMap::new();
    let mut removed = Vec::new();
    for line in lines {
        let bad = || Failure::usage(format!("invalid header {line:?}"));
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, Some(v.trim())),
            None => match line.strip_suffix(';') {
                Some(n) => (n, Some("")),
                None => return Err(bad()),
            },
        };
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
        match value {
            Some("") if line.contains(':') => {
                headers.remove(&name);
                user.remove(&name);
                removed.push(name);
            }
            Some(v) => {
                let v = HeaderValue::from_str(v).map_err(|_| bad())?;
                user.append(name, v);
            }
            None => return Err(bad()),
        }
    }
    for name in user.keys() {
        headers.remove(name);
    }
    for (name, value) in &user {
        headers.append(name.clone(), value.clone());
    }
    Ok((headers, removed))
}

/// The proxy configuration: the environment's, or `--proxy` for every scheme (with the
/// environment's `NO_PROXY`), or none for `--proxy ''`.
fn proxy_config(flag: Option<&str>) -> cohttp_core::Result<ProxyConfig> {
    let env = ProxyConfig::from_env();
    match flag {
        None => env,
        Some(p) if p.trim().is_empty() => Ok(ProxyConfig::new()),
        Some(p) => {
            let no_proxy = env.map(|c| c.no_proxy_list().clone()).unwrap_or_default();
            Ok(ProxyConfig::new()
                .scheme_proxy("http", p)?
                .scheme_proxy("https", p)?
                .default_proxy(p)?
                .no_proxy(no_proxy))
        }
    }
}

/// `Host` for `uri`: its authority without the scheme's default port.
fn host_header(uri: &Uri) -> Option<HeaderValue> {
    let host = uri.host()?;
    let default = match uri.scheme_str() {
        Some("https") => 443,
        _ => 80,
    };
    let value = match uri.port_u16() {
        Some(p) if p != default => format!("{host}:{p}"),
        _ => host.to_string(),
    };
    HeaderValue::from_str(&value).ok()
}

/// A URL from the command line: `http://` assumed without a scheme, as curl does.
fn parse_url(text: &str) -> Result<Uri, Failure> {
    let full = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let uri: Uri = full
        .parse()
        .map_err(|e| Failure::new(3, format!("malformed URL {text:?}: {e}")))?;
    if matches!(uri.host(), None | Some("")) {
        return Err(Failure::new(3, format!("no host in URL {text:?}")));
    }
    check_scheme(&uri)?;
    Ok(uri)
}

/// `http` and `https` (TLS with the webpki roots, or those of `--cacert`) are supported.
fn check_scheme(uri: &Uri) -> Result<(), Failure> {
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http" | "https") => Ok(()),
        Some(other) => Err(Failure::new(1, format!("protocol {other:?} not supported"))),
        None => Err(Failure::new(3, format!("no scheme in URL {uri}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_headers_replace_remove_and_add() {
        let (h, removed) = headers(&[
            "Accept: text/html".into(),
            "User-Agent:".into(),
            "X-Empty;".into(),
            "X-Two: 1".into(),
            "X-Two: 2".into(),
        ])
        .unwrap();
        assert_eq!(h["accept"], "text/html");
        assert!(!h.contains_key("user-agent"));
        assert_eq!(h["x-empty"], "");
        assert_eq!(h.get_all("x-two").iter().count(), 2);
        assert_eq!(removed, [http::header::USER_AGENT]);
        assert_eq!(headers(&["no colon".into()]).unwrap_err().code, 2);
    }

    #[test]
    fn urls_default_to_http_and_other_schemes_fail() {
        assert_eq!(
            parse_url("127.0.0.1:8080/x").unwrap(),
            "http://127.0.0.1:8080/x"
        );
        assert_eq!(parse_url("ftp://h/").unwrap_err().code, 1);
        assert_eq!(parse_url("http:///x").unwrap_err().code, 3);
    }

    #[test]
    fn host_header_omits_the_default_port() {
        let h = |u: &str| host_header(&u.parse().unwrap()).unwrap();
        assert_eq!(h("http://a.test:80/"), "a.test");
        assert_eq!(h("http://a.test:8080/"), "a.test:8080");
        assert_eq!(h("https://a.test:443/"), "a.test");
    }
}
