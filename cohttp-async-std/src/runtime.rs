//! The async-std adapter: [`Net`], [`Sleep`] and [`Spawn`] on async-std, and nothing
//! else.
//!
//! async-std's streams are `futures-io` streams already, but their `poll_close` only
//! flushes; [`HalfClose`] makes it shut down the write side, as the runtime contract
//! asks. Timers are `async-io` timers (the reactor async-std runs on), reset in place.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use async_std::io::{Read as AsyncRead, Write as AsyncWrite};
use async_std::net::{TcpListener, TcpStream};
use cohttp_core::runtime::{
    Addr, BoxFuture, BoxTransport, FnListener, Listener, Net, Runtime, Sleep, Spawn, Timer,
};

/// The cohttp [`Runtime`] on async-std.
///
/// # Examples
///
/// ```
/// # async_std::task::block_on(async {
/// let rt = cohttp_async_std::runtime();
/// rt.sleep(std::time::Duration::from_millis(1)).await;
/// # });
/// ```
pub fn runtime() -> Runtime {
    Runtime::new(
        std::sync::Arc::new(AsyncStdNet),
        std::sync::Arc::new(AsyncStdClock),
        std::sync::Arc::new(AsyncStdSpawn),
    )
}

/// Networking through async-std.
struct AsyncStdNet;

fn boxed_tcp(s: TcpStream) -> io::Result<BoxTransport> {
    s.set_nodelay(true)?;
    Ok(Box::new(HalfClose(s)))
}

/// A stream that can shut down its write side.
trait Shutdown {
    fn shutdown_write(&self) -> io::Result<()>;
}

impl Shutdown for TcpStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

#[cfg(unix)]
impl Shutdown for async_std::os::unix::net::UnixStream {
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
}

/// An async-std stream whose `poll_close` flushes, then half-closes.
struct HalfClose<S>(S);

impl<S: AsyncRead + Unpin> AsyncRead for HalfClose<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Shutdown + Unpin> AsyncWrite for HalfClose<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(Pin::new(&mut self.0).poll_flush(cx))?;
        Poll::Ready(self.0.shutdown_write())
    }
}

/// Connects from a bound local address. async-std has no socket builder, so the
/// socket is made with `socket2` and connected on the blocking pool (a rare path).
async fn connect_bound(addr: SocketAddr, local: SocketAddr) -> io::Result<TcpStream> {
    let std_stream = async_std::task::spawn_blocking(move || {
        let domain = socket2::Domain::for_address(addr);
        let socket =
            socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
        socket.bind(&local.into())?;
        socket.connect(&addr.into())?;
        io::Result::Ok(std::net::TcpStream::from(socket))
    })
    .await?;
    Ok(TcpStream::from(std_stream))
}

impl Net for AsyncStdNet {
    fn resolve(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> {
        let host = host.to_owned();
        Box::pin(async move {
            use async_std::net::ToSocketAddrs;
            Ok((host.as_str(), port).to_socket_addrs().await?.collect())
        })
    }

    fn connect_tcp(
        &self,
        addr: SocketAddr,
        bind: Option<SocketAddr>,
    ) -> BoxFuture<'static, io::Result<BoxTransport>> {
        Box::pin(async move {
            let stream = match bind {
                None => TcpStream::connect(addr).await?,
                Some(local) => connect_bound(addr, local).await?,
            };
            boxed_tcp(stream)
        })
    }

    fn connect_unix(&self, path: PathBuf) -> BoxFuture<'static, io::Result<BoxTransport>> {
        Box::pin(async move {
            #[cfg(unix)]
            {
                let s = async_std::os::unix::net::UnixStream::connect(path).await?;
                Ok(Box::new(HalfClose(s)) as BoxTransport)
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
                    let l = TcpListener::bind(a).await?;
                    Ok(Box::new(tcp_listener(l)?) as Box<dyn Listener>)
                }
                #[cfg(unix)]
                Addr::Unix(path) => {
                    let l = async_std::os::unix::net::UnixListener::bind(&path).await?;
                    Ok(Box::new(unix_listener(l, path)) as Box<dyn Listener>)
                }
                _ => Err(io::ErrorKind::Unsupported.into()),
            }
        })
    }
}

/// A listener over the runtime's `async fn accept`.
fn tcp_listener(l: TcpListener) -> io::Result<FnListener> {
    let local = Addr::Tcp(l.local_addr()?);
    let l = std::sync::Arc::new(l);
    Ok(FnListener::new(local, move || {
        let l = l.clone();
        Box::pin(async move {
            let (s, peer) = l.accept().await?;
            Ok((boxed_tcp(s)?, Addr::Tcp(peer)))
        })
    }))
}

#[cfg(unix)]
fn unix_listener(l: async_std::os::unix::net::UnixListener, path: PathBuf) -> FnListener {
    let l = std::sync::Arc::new(l);
    FnListener::new(Addr::Unix(path), move || {
        let l = l.clone();
        Box::pin(async move {
            let (s, peer) = l.accept().await?;
            let path = peer.as_pathname().map(PathBuf::from).unwrap_or_default();
            Ok((Box::new(HalfClose(s)) as BoxTransport, Addr::Unix(path)))
        })
    })
}

/// The clock and `async-io` timers.
struct AsyncStdClock;

struct IoTimer(async_io::Timer);

impl Future for IoTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl Timer for IoTimer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.set_at(deadline);
    }
}

impl Sleep for AsyncStdClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(IoTimer(async_io::Timer::at(deadline)))
    }
}

/// Spawning onto async-std's executor.
struct AsyncStdSpawn;

impl Spawn for AsyncStdSpawn {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        drop(async_std::task::spawn(task));
    }

    fn spawn_blocking(&self, job: Box<dyn FnOnce() + Send>) {
        drop(async_std::task::spawn_blocking(job));
    }
}
