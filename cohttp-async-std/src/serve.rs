//! The ready-to-use entry points on async-std: a [`Client`], [`serve`], and the shutdown
//! signal that graceful shutdown waits for.

use std::future::Future;

use cohttp_core::client::Client;
use cohttp_core::runtime::Addr;
use cohttp_core::server::{Handler, ServerConfig};
use cohttp_core::Result;

/// A [`Client`] on async-std, with no connection cache set (a new connection per request;
/// set one with [`Client::with_cache`]).
///
/// # Examples
///
/// ```no_run
/// # async_std::task::block_on(async {
/// let client = cohttp_async_std::client();
/// let response = client.get("http://127.0.0.1:8080/plaintext").await?;
/// println!("{}", response.into_body().to_string().await?);
/// # Ok::<(), cohttp_core::Error>(())
/// # }).unwrap();
/// ```
pub fn client() -> Client {
    Client::new(&crate::runtime())
}

/// Serves `handler` on `addr` until `stop` completes, then shuts down gracefully.
///
/// # Examples
///
/// ```no_run
/// use cohttp_core::server::{respond_string, ConnInfo, ServerConfig};
/// use cohttp_core::{Body, Error};
/// use http::{Request, StatusCode};
///
/// # async_std::task::block_on(async {
/// let hello = |_: ConnInfo, _: Request<()>, _: Body| async {
///     Ok::<_, Error>(respond_string(StatusCode::OK, "Hello, World!"))
/// };
/// let addr = "127.0.0.1:8080".parse::<std::net::SocketAddr>().unwrap();
/// cohttp_async_std::serve(addr.into(), hello, ServerConfig::default(), cohttp_async_std::shutdown_signal()).await
/// # }).unwrap();
/// ```
pub async fn serve<H: Handler>(
    addr: Addr,
    handler: H,
    config: ServerConfig,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    cohttp_core::server::serve(&crate::runtime(), addr, handler, config, stop).await
}

/// Completes on the first SIGINT or SIGTERM: the `stop` future of a server that shuts
/// down gracefully when asked to. Never completes where signals cannot be watched.
pub async fn shutdown_signal() {
    use async_signal::{Signal, Signals};
    use async_std::stream::StreamExt;
    match Signals::new([Signal::Int, Signal::Term]) {
        Ok(mut signals) => {
            let _ = signals.next().await;
        }
        Err(_) => std::future::pending().await,
    }
}
