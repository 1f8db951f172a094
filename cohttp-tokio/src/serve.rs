//! The ready-to-use entry points on tokio: a [`Client`], [`serve`], and the shutdown
//! signal that graceful shutdown waits for.

use std::future::Future;

use cohttp_core::client::Client;
use cohttp_core::runtime::Addr;
use cohttp_core::server::{Handler, ServerConfig};
use cohttp_core::Result;

/// A [`Client`] on the current tokio runtime, with no connection cache set (a new
/// connection per request; set one with [`Client::with_cache`]).
///
/// # Panics
///
/// Outside a tokio runtime, like [`runtime`](crate::runtime).
///
/// # Examples
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> cohttp_core::Result<()> {
/// let client = cohttp_tokio::client();
/// let response = client.get("http://127.0.0.1:8080/plaintext").await?;
/// println!("{}", response.into_body().to_string().await?);
/// # Ok(())
/// # }
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
/// # #[tokio::main]
/// # async fn main() -> cohttp_core::Result<()> {
/// let hello = |_: ConnInfo, _: Request<()>, _: Body| async {
///     Ok::<_, Error>(respond_string(StatusCode::OK, "Hello, World!"))
/// };
/// let addr = "127.0.0.1:8080".parse::<std::net::SocketAddr>().unwrap();
/// cohttp_tokio::serve(addr.into(), hello, ServerConfig::default(), cohttp_tokio::shutdown_signal()).await
/// # }
/// ```
pub async fn serve<H: Handler>(
    addr: Addr,
    handler: H,
    config: ServerConfig,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    cohttp_core::server::serve(&crate::runtime(), addr, handler, config, stop).await
}

/// Completes on the first SIGINT or SIGTERM (Ctrl-C elsewhere): the `stop` future of
/// a server that shuts down gracefully when asked to.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut int), Ok(mut term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            _ => std::future::pending().await,
        }
    }
    #[cfg(not(unix))]
    {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await
        }
    }
}
