//! The accept loop: [`serve`] and [`serve_listener`].
//!
//! Accepts connections from a [`Listener`] and runs each in its own task on the
//! runtime (one task per connection, none per request), up to the connection limit.
//!
//! **At the limit**, the server makes room rather than stop accepting: it closes an idle
//! connection and serves the newcomer — the new connection that has been silent
//! longest, or when there is none, the kept-alive connection idle longest between
//! requests (a peer that was answered already has shown it is a client; a silent one
//! has shown nothing, and is what a flood is made of). Only when every
//! connection is in the middle of a request does it stop accepting, leaving further
//! peers in the listen backlog until one ends or turns idle. Why:
//! - stopping at the limit lets a flood of connections that send nothing starve every
//!   new client: each waits in the backlog behind the flood, about
//!   `flooders / max_connections × header_read_timeout`;
//! - closing an idle connection is always allowed (RFC 9112 §9.6) and costs its peer
//!   nothing it cannot repeat: a kept-alive client opens a new connection, and a request
//!   that raced the close is retried (it got no byte of a response); nginx reclaims the
//!   same connections (keep-alive ones and fresh ones still waiting for a request) when
//!   it runs out, oldest first;
//! - a quick `503` to the newcomer instead would fail well-behaved clients while idle
//!   peers hold every slot, and still spend a descriptor and a task per refusal; hyper
//!   has no limit of its own and leaves this to the application;
//! - connections with a request under way are never closed for room: a slow head is
//!   bounded by the header read timeout, a slow body by the body timeouts and minimum
//!   rate.
//!
//! An evicted connection closes as at its idle timeout (a request that arrived in the
//! meantime is still answered, with `Connection: close`). It no longer counts against
//! the limit while it closes, so at most twice the limit are open for a moment. If the
//! idle connection chosen turned busy just before, the newcomer is closed at once.
//!
//! When the stop future completes, the shutdown is graceful: the
//! listener is dropped (no new connection), idle keep-alive connections close at once,
//! requests in flight finish (their responses say `Connection: close`), and whatever
//! is still running at the graceful deadline is dropped. [`Handler::conn_closed`]
//! runs exactly once for every accepted connection (with TLS, every one whose
//! handshake succeeded: see [`ServerConfig::tls`](crate::server::ServerConfig)).
//!
//! This file is not the per-connection protocol (`conn.rs`).

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use futures_util::future::poll_fn;

use crate::error::Result;
use crate::runtime::{Addr, Listener, Runtime};
use crate::server::config::ServerConfig;
use crate::server::conn::Conn;
use crate::server::date::WallClock;
use crate::server::handler::{ConnInfo, Handler};
use crate::server::shutdown::{Phase, Shutdown};
use crate::server::tls;

/// Wait after a failed accept (out of file descriptors, say) before the next one.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// After the graceful deadline, how long dropped connections get to be polled once
/// more and release their resources before `serve` returns anyway.
const ABORT_GRACE: Duration = Duration::from_secs(1);

/// Listens on `addr` and serves `handler` there until `stop` completes, then shuts
/// down gracefully (see the module docs). Returns once every connection ended, or
/// the graceful deadline passed.
///
/// ```
/// use cohttp_core::runtime::{Addr, Runtime};
/// use cohttp_core::server::{respond_string, serve, ConnInfo, ServerConfig};
/// use cohttp_core::{Body, Error};
/// use http::{Request, StatusCode};
///
/// async fn run(rt: Runtime, stop: impl std::future::Future<Output = ()> + Send) {
///     let hello = |_: ConnInfo, req: Request<()>, _: Body| async move {
///         Ok::<_, Error>(respond_string(StatusCode::OK, format!("hello {}", req.uri())))
///     };
///     let addr = Addr::Tcp("127.0.0.1:8080".parse().unwrap());
///     if let Err(e) = serve(&rt, addr, hello, ServerConfig::default(), stop).await {
///         eprintln!("{e}");
///     }
/// }
/// ```
pub async fn serve<H: Handler>(
    rt: &Runtime,
    addr: Addr,
    handler: H,
    config: ServerConfig,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    let listener = rt.listen(addr).await?;
    serve_listener(rt, listener, handler, config, stop).await;
    Ok(())
}

/// What woke the accept loop.
enum Event {
    Stop,
    Accepted(crate::runtime::BoxTransport, Addr),
    Failed(std::io::Error),
}

/// Serves `handler` on connections accepted from `listener` until `stop` completes,
/// then shuts down gracefully (see the module docs).
pub async fn serve_listener<H: Handler>(
    rt: &Runtime,
    mut listener: Box<dyn Listener>,
    handler: H,
    config: ServerConfig,
    stop: impl Future<Output = ()>,
) {
    let handler = Arc::new(handler);
    let config = Arc::new(config);
    let local = listener.local_addr().ok();
    let shutdown = Shutdown::new();
    let clock = WallClock::new(config.date_origin.unwrap_or_else(SystemTime::now), rt.now());
    let mut stop = std::pin::pin!(stop);
    let mut next_id: u64 = 0;
    loop {
        let event = poll_fn(|cx| {
            if stop.as_mut().poll(cx).is_ready() {
                return Poll::Ready(Event::Stop);
            }
            if shutdown.poll_room(config.max_connections, cx).is_pending() {
                return Poll::Pending;
            }
            match listener.poll_accept(cx) {
                Poll::Ready(Ok((io, peer))) => Poll::Ready(Event::Accepted(io, peer)),
                Poll::Ready(Err(e)) => Poll::Ready(Event::Failed(e)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        match event {
            Event::Stop => break,
            Event::Accepted(io, peer) => {
                if shutdown.counted() >= config.max_connections && !shutdown.evict_oldest_idle() {
                    log::debug!(
                        "at the connection limit with no idle connection: refusing {peer:?}"
                    );
                    drop(io);
                    continue;
                }
                next_id += 1;
                let info = ConnInfo::new(next_id, peer, local.clone());
                log::trace!("{info:?}: accepted");
                let active = shutdown.active();
                let abort = shutdown.watch();
                let watch = shutdown.watch();
                let (task_rt, handler, config) = (rt.clone(), handler.clone(), config.clone());
                rt.spawn(async move {
                    // The TLS handshake, if any, runs here: never in the accept loop.
                    let run = async move {
                        let Some((io, info)) = tls::start(&task_rt, io, info, &config).await else {
                            return;
                        };
                        Conn::new(task_rt, io, info, handler, config, clock, Some(watch))
                            .run()
                            .await
                    };
                    let mut run = std::pin::pin!(run);
                    poll_fn(|cx| {
                        if abort.poll_phase(Phase::Aborting, cx).is_ready() {
                            return Poll::Ready(());
                        }
                        run.as_mut().poll(cx)
                    })
                    .await;
                    drop(active);
                });
            }
            Event::Failed(e) => {
                log::warn!("accept failed: {e}; retrying in {ACCEPT_BACKOFF:?}");
                let mut backoff = rt.timer(rt.now() + ACCEPT_BACKOFF);
                let stopped = poll_fn(|cx| {
                    if stop.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(true);
                    }
                    backoff.as_mut().poll(cx).map(|()| false)
                })
                .await;
                if stopped {
                    break;
                }
            }
        }
    }
    drop(listener);
    shutdown.enter(Phase::Draining);
    if !wait_idle(rt, &shutdown, config.graceful_timeout).await {
        log::warn!(
            "graceful shutdown: {} connection(s) still busy after {:?}; dropping them",
            shutdown.active_count(),
            config.graceful_timeout
        );
        shutdown.enter(Phase::Aborting);
        wait_idle(rt, &shutdown, ABORT_GRACE).await;
    }
}

/// Waits until no connection is live, at most `limit`; whether none is.
async fn wait_idle(rt: &Runtime, shutdown: &Shutdown, limit: Duration) -> bool {
    let mut timer = rt.timer(rt.now() + limit);
    poll_fn(|cx| {
        if shutdown.poll_active_below(1, cx).is_ready() {
            return Poll::Ready(true);
        }
        timer.as_mut().poll(cx).map(|()| false)
    })
    .await
}
