//! `Client::callv`: a stream of requests in, a stream of responses out, pipelined on one
//! connection.
//!
//! Each request is queued on the connection as soon as the input stream yields it (not after
//! the previous response, as the seed did); responses come out in order, each as soon as its
//! head arrives. When the input ends, the connection is shut down: the last request carries
//! `Connection: close` if it is still queued, and the connection closes once the responses
//! are read.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{FuturesOrdered, Stream, StreamExt};
use http::{Request, Response, Uri};

use crate::body::Body;
use crate::error::Result;
use crate::runtime::BoxFuture;

use super::client::Client;
use super::connection::Connection;
use super::target::check_request;

impl Client {
    /// Sends every request of `requests` on one pipelined connection to `uri`'s host, and
    /// yields their responses in order, each as it arrives. Requests are written as they come
    /// (the first alone while the connection's persistence is unknown).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// use cohttp_core::client::Client;
    /// use cohttp_core::Body;
    /// use futures_util::StreamExt;
    ///
    /// async fn two(client: &Client) -> cohttp_core::Result<()> {
    ///     let reqs = futures_util::stream::iter(["/a", "/b"].map(|p| {
    ///         http::Request::get(p).body(Body::empty()).unwrap()
    ///     }));
    ///     let uri: http::Uri = "http://example.test/".parse().unwrap();
    ///     let mut responses = client.callv(&uri, reqs)?;
    ///     while let Some(res) = responses.next().await {
    ///         println!("{}", res?.into_body().to_string().await?);
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub fn callv<S>(&self, uri: &Uri, requests: S) -> Result<Callv<S>>
    where
        S: Stream<Item = Request<Body>> + Unpin,
    {
        let conn = Connection::create_uri(self.runtime(), uri, self.own_config())?;
        Ok(Callv {
            conn,
            input: Some(requests),
            pending: FuturesOrdered::new(),
        })
    }
}

/// The response stream of [`Client::callv`]. Dropping it shuts the connection down.
pub struct Callv<S> {
    conn: Connection,
    input: Option<S>,
    pending: FuturesOrdered<BoxFuture<'static, Result<Response<Body>>>>,
}

impl<S> std::fmt::Debug for Callv<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callv")
            .field("conn", &self.conn)
            .field("input_done", &self.input.is_none())
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl<S> Callv<S> {
    /// The connection the requests go over.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

impl<S> Stream for Callv<S>
where
    S: Stream<Item = Request<Body>> + Unpin,
{
    type Item = Result<Response<Body>>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        while let Some(input) = this.input.as_mut() {
            match input.poll_next_unpin(cx) {
                Poll::Ready(Some(req)) => {
                    let fut: BoxFuture<'static, Result<Response<Body>>> = match check_request(&req)
                    {
                        Ok(()) => Box::pin(this.conn.call(req)),
                        Err(e) => Box::pin(async move { Err(e) }),
                    };
                    this.pending.push_back(fut);
                }
                Poll::Ready(None) => {
                    this.input = None;
                    this.conn.shutdown();
                }
                Poll::Pending => break,
            }
        }
        match this.pending.poll_next_unpin(cx) {
            Poll::Ready(Some(r)) => Poll::Ready(Some(r)),
            Poll::Ready(None) if this.input.is_none() => Poll::Ready(None),
            _ => Poll::Pending,
        }
    }
}
