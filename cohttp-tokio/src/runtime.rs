//! The tokio adapter: [`Net`], [`Sleep`] and [`Spawn`] on tokio, and nothing else.
//!
//! Streams are tokio's TCP and Unix streams seen through `tokio-util`'s `compat`
//! layer as `futures-io` streams; their `poll_close` is tokio's `poll_shutdown`, a
//! half-close of the write side, as the runtime contract asks. Timers are
//! `tokio::time::Sleep`, reset in place; the clock is tokio's, so a paused tokio clock
//! pauses cohttp's timeouts too.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use cohttp_core::runtime::{
    Addr, BoxFuture, BoxTransport, Listener, Net, Runtime, Sleep, Spawn, Timer,
};
use tokio::runtime::Handle;
use tokio_util::compat::TokioAsyncReadCompatExt;

/// The cohttp [`Runtime`] on the current tokio runtime.
///
/// # Panics
///
/// When called outside a tokio runtime (like `tokio::spawn`); [`try_runtime`] returns
/// an error instead.
///
/// # Examples
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let rt = cohttp_tokio::runtime();
/// rt.sleep(std::time::Duration::from_millis(1)).await;
/// # }
/// ```
pub fn runtime() -> Runtime {
    match try_runtime() {
        Ok(rt) => rt,
        Err(e) => panic!("{e}"),
    }
}

/// The cohttp [`Runtime`] on the current tokio runtime, or an error outside one.
pub fn try_runtime() -> io::Result<Runtime> {
    let handle = Handle::try_current().map_err(|_| {
        io::Error::other("cohttp_tokio::runtime() must be called from inside a tokio runtime")
    })?;
    Ok(runtime_on(handle))
}

/// The cohttp [`Runtime`] spawning onto the tokio runtime behind `handle`.
pub fn runtime_on(handle: Handle) -> Runtime {
    Runtime::new(
        std::sync::Arc::new(TokioNet),
        std::sync::Arc::new(TokioClock),
        std::sync::Arc::new(TokioSpawn(handle)),
    )
}

/// Networking through tokio.
struct TokioNet;

fn boxed_tcp(s: tokio::net::TcpStream) -> io::Result<BoxTransport> {
    s.set_nodelay(true)?;
    Ok(Box::new(s.compat()))
}

impl Net for TokioNet {
    fn resolve(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> {
        let host = host.to_owned();
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    }

    fn connect_tcp(
        &self,
        addr: SocketAddr,
        bind: Option<SocketAddr>,
    ) -> BoxFuture<'static, io::Result<BoxTransport>> {
        Box::pin(async move {
            let stream = match bind {
                None => tokio::net::TcpStream::connect(addr).await?,
                Some(local) => {
                    let socket = if addr.is_ipv4() {
                        tokio::net::TcpSocket::new_v4()?
                    } else {
                        tokio::net::TcpSocket::new_v6()?
                    };
                    socket.bind(local)?;
                    socket.connect(addr).await?
                }
            };
            boxed_tcp(stream)
        })
    }

    fn connect_unix(&self, path: PathBuf) -> BoxFuture<'static, io::Result<BoxTransport>> {
        Box::pin(async move {
            #[cfg(unix)]
            {
                let s = tokio::net::UnixStream::connect(path).await?;
                Ok(Box::new(s.compat()) as BoxTransport)
            }
            #[cfg(not(unix))]
            {
                let _ = path;
                Err(io::ErrorKind::Unsupported.into())
            }
        })
    }

    fn listen(&self, addr: Addr) -> BoxFuture<'static, io::Result<Box<dyn Listener>>> {
        Box::pin(async move {
            match addr {
                Addr::Tcp(a) => {
                    let l = tokio::net::TcpListener::bind(a).await?;
                    Ok(Box::new(TcpAcceptor(l)) as Box<dyn Listener>)
                }
                #[cfg(unix)]
                Addr::Unix(path) => {
                    let l = tokio::net::UnixListener::bind(path)?;
                    Ok(Box::new(UnixAcceptor(l)) as Box<dyn Listener>)
                }
                _ => Err(io::ErrorKind::Unsupported.into()),
            }
        })
    }
}

struct TcpAcceptor(tokio::net::TcpListener);

impl Listener for TcpAcceptor {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(BoxTransport, Addr)>> {
        self.0
            .poll_accept(cx)
            .map(|r| r.and_then(|(s, peer)| Ok((boxed_tcp(s)?, Addr::Tcp(peer)))))
    }

    fn local_addr(&self) -> io::Result<Addr> {
        self.0.local_addr().map(Addr::Tcp)
    }
}

#[cfg(unix)]
struct UnixAcceptor(tokio::net::UnixListener);

#[cfg(unix)]
impl Listener for UnixAcceptor {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(BoxTransport, Addr)>> {
        self.0.poll_accept(cx).map_ok(|(s, peer)| {
            let path = peer.as_pathname().map(PathBuf::from).unwrap_or_default();
            (Box::new(s.compat()) as BoxTransport, Addr::Unix(path))
        })
    }

    fn local_addr(&self) -> io::Result<Addr> {
        let a = self.0.local_addr()?;
        Ok(Addr::Unix(
            a.as_pathname().map(PathBuf::from).unwrap_or_default(),
        ))
    }
}

/// Tokio's clock and timers.
struct TokioClock;

pin_project_lite::pin_project! {
    struct TokioTimer {
        #[pin]
        sleep: tokio::time::Sleep,
    }
}

impl Future for TokioTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().sleep.poll(cx)
    }
}

impl Timer for TokioTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().sleep.reset(deadline.into());
    }
}

impl Sleep for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(TokioTimer {
            sleep: tokio::time::sleep_until(deadline.into()),
        })
    }
}

/// Spawning onto one tokio runtime.
struct TokioSpawn(Handle);

impl Spawn for TokioSpawn {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        drop(self.0.spawn(task));
    }

    fn spawn_blocking(&self, job: Box<dyn FnOnce() + Send>) {
        drop(self.0.spawn_blocking(job));
    }
}
