//! [`Client`]: the high-level HTTP client — `get`, `head`, `post`, `put`, `patch`, `delete`,
//! `call`, `post_form`, `callv` — with its connection cache chosen per value, and timeouts.
//!
//! A `Client` sends each request through its cache (anything that is [`Call`]). Without one
//! set, every request gets its own connection, closed once the response body is read. The
//! pipelined stream of requests (`callv`) is in `callv.rs`; the timeouts in `timeouts.rs`.

use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, Method, Request, Response, Uri};

use crate::body::Body;
use crate::error::{Error, Malformed, Result};
use crate::runtime::{BoxFuture, Runtime};

use super::call::Call;
use super::config::ConnectionConfig;
use super::connection::Connection;
use super::target::check_request;
use super::timeouts::{self, Timeouts};

/// How `Client::call` frames the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Chunked {
    /// As the body implies: a fixed length when known, chunked for a stream (chunked only
    /// once the connection is known persistent; otherwise the stream is measured).
    #[default]
    Auto,
    /// Chunked, even for a body of known length.
    On,
    /// A fixed length: a stream is read to its end first to measure it.
    Off,
}

/// The high-level client. Cloning is cheap and shares the cache.
///
/// # Examples
///
/// ```no_run
/// use cohttp_core::client::Client;
/// use cohttp_core::Runtime;
///
/// async fn hello(rt: &Runtime) -> cohttp_core::Result<String> {
///     let client = Client::new(rt);
///     let res = client.get("http://example.test/hello").await?;
///     res.into_body().to_string().await
/// }
/// ```
#[derive(Clone)]
pub struct Client {
    rt: Runtime,
    cache: Option<Arc<dyn Call>>,
    config: ConnectionConfig,
    timeouts: Timeouts,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("cache", &self.cache.is_some())
            .field("timeouts", &self.timeouts)
            .finish_non_exhaustive()
    }
}

fn parse_uri<U>(uri: U) -> Result<Uri>
where
    U: TryInto<Uri>,
    U::Error: Into<http::Error>,
{
    uri.try_into().map_err(|e| {
        Error::malformed(Malformed::InvalidUri)
            .with_context("URI cannot be parsed")
            .with_source(e.into())
    })
}

impl Client {
    /// A client on `rt` with no cache: a new connection per request, closed once its response
    /// body is read.
    pub fn new(rt: &Runtime) -> Client {
        Client {
            rt: rt.clone(),
            cache: None,
            config: ConnectionConfig::new(),
            timeouts: Timeouts::default(),
        }
    }

    /// Sends requests through `cache` (a connection cache, a connection, a proxy...). Its own
    /// connections are configured by it: the connect and head timeouts of this client apply
    /// only to connections the client makes itself (no cache, `callv`).
    pub fn with_cache(mut self, cache: impl Call + 'static) -> Client {
        self.cache = Some(Arc::new(cache));
        self
    }

    /// The configuration of the connections the client makes itself (no cache, `callv`).
    pub fn connection_config(mut self, config: ConnectionConfig) -> Client {
        self.config = config;
        self
    }

    /// Bound on establishing a connection.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Client {
        self.timeouts.connect = timeout;
        self
    }

    /// Bound on waiting for a response head once the request is written.
    pub fn head_timeout(mut self, timeout: Option<Duration>) -> Client {
        self.timeouts.head = timeout;
        self
    }

    /// Bound on a whole request, response body included.
    pub fn total_timeout(mut self, timeout: Option<Duration>) -> Client {
        self.timeouts.total = timeout;
        self
    }

    /// The timeouts in force.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The runtime the client runs on.
    pub fn runtime(&self) -> &Runtime {
        &self.rt
    }

    /// The config of a connection this client makes itself.
    pub(crate) fn own_config(&self) -> ConnectionConfig {
        let mut config = self.config.clone();
        if self.timeouts.connect.is_some() {
            config = config.connect_timeout(self.timeouts.connect);
        }
        if self.timeouts.head.is_some() {
            config = config.head_timeout(self.timeouts.head);
        }
        config
    }

    /// `GET uri`.
    pub async fn get<U>(&self, uri: U) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.call(
            Method::GET,
            uri,
            HeaderMap::new(),
            Body::empty(),
            Chunked::Auto,
        )
        .await
    }

    /// `HEAD uri` (the response has no body).
    pub async fn head<U>(&self, uri: U) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.call(
            Method::HEAD,
            uri,
            HeaderMap::new(),
            Body::empty(),
            Chunked::Auto,
        )
        .await
    }

    /// `DELETE uri`.
    pub async fn delete<U>(&self, uri: U) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.call(
            Method::DELETE,
            uri,
            HeaderMap::new(),
            Body::empty(),
            Chunked::Auto,
        )
        .await
    }

    /// `POST uri` with `body`.
    pub async fn post<U>(&self, uri: U, body: impl Into<Body>) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.call(
            Method::POST,
            uri,
            HeaderMap::new(),
            body.into(),
            Chunked::Auto,
        )
        .await
    }

    /// `PUT uri` with `body`.
    pub async fn put<U>(&self, uri: U, body: impl Into<Body>) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.call(
            Method::PUT,
            uri,
            HeaderMap::new(),
            body.into(),
            Chunked::Auto,
        )
        .await
    }

    /// `PATCH uri` with `body`.
    pub async fn patch<U>(&self, uri: U, body: impl Into<Body>) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        self.call(
            Method::PATCH,
            uri,
            HeaderMap::new(),
            body.into(),
            Chunked::Auto,
        )
        .await
    }

    /// `POST uri` with an `application/x-www-form-urlencoded` body (each key with all its
    /// values, in order).
    pub async fn post_form<U, K, V>(&self, uri: U, form: &[(K, &[V])]) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        self.call(
            Method::POST,
            uri,
            headers,
            Body::from_form(form),
            Chunked::Auto,
        )
        .await
    }

    /// Any method, with headers, a body and the body framing to use.
    pub async fn call<U>(
        &self,
        method: Method,
        uri: U,
        headers: HeaderMap,
        body: Body,
        chunked: Chunked,
    ) -> Result<Response<Body>>
    where
        U: TryInto<Uri>,
        U::Error: Into<http::Error>,
    {
        let uri = parse_uri(uri)?;
        let body = match chunked {
            Chunked::Auto => body,
            Chunked::Off => {
                let mut body = body;
                body.length().await?;
                body
            }
            Chunked::On if body.known_length().is_some() => {
                Body::from_body_stream(body.into_stream(), None)
            }
            Chunked::On => body,
        };
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = uri;
        *req.headers_mut() = headers;
        self.request(req).await
    }

    /// Sends a ready-made request (its URI absolute, unless a cache is set that knows where
    /// to send it).
    pub async fn request(&self, req: Request<Body>) -> Result<Response<Body>> {
        check_request(&req)?;
        let deadline = self.timeouts.total.map(|d| self.rt.now() + d);
        let sent = self.dispatch(req);
        let res = match deadline {
            Some(at) => timeouts::before(&self.rt, at, sent).await?,
            None => sent.await?,
        };
        Ok(match deadline {
            Some(at) => res.map(|b| timeouts::body_before(&self.rt, at, b)),
            None => res,
        })
    }

    fn dispatch(&self, req: Request<Body>) -> BoxFuture<'static, Result<Response<Body>>> {
        match &self.cache {
            Some(cache) => {
                let cache = cache.clone();
                Box::pin(async move { cache.call(req).await })
            }
            None => {
                let conn = Connection::create_uri(
                    &self.rt,
                    req.uri(),
                    self.own_config().persistent(Some(false)),
                );
                match conn {
                    Ok(conn) => Box::pin(conn.call(req)),
                    Err(e) => Box::pin(async move { Err(e) }),
                }
            }
        }
    }
}

impl Call for Client {
    fn call(&self, req: Request<Body>) -> BoxFuture<'_, Result<Response<Body>>> {
        Box::pin(self.request(req))
    }
}
