//! The smol adapter: [`Net`], [`Sleep`] and [`Spawn`] on smol, and nothing else.
//!
//! smol's streams (`async-net`) are `futures-io` streams already; their `poll_close`
//! shuts down the write side, as the runtime contract asks. Timers are smol's
//! `Timer`, reset in place. Tasks go to smol's global executor, blocking jobs to its
//! `unblock` pool.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use cohttp_core::runtime::{
    Addr, BoxFuture, BoxTransport, FnListener, Listener, Net, Runtime, Sleep, Spawn, Timer,
};
use smol::net::{TcpListener, TcpStream};

/// The cohttp [`Runtime`] on smol.
///
/// # Examples
///
/// ```
/// smol::block_on(async {
///     let rt = cohttp_smol::runtime();
///     rt.sleep(std::time::Duration::from_millis(1)).await;
/// });
/// ```
pub fn runtime() -> Runtime {
    Runtime::new(
        std::sync::Arc::new(SmolNet),
        std::sync::Arc::new(SmolClock),
        std::sync::Arc::new(SmolSpawn),
    )
}

/// Networking through smol.
struct SmolNet;

fn boxed_tcp(s: TcpStream) -> io::Result<BoxTransport> {
    s.set_nodelay(true)?;
    Ok(Box::new(s))
}

/// Connects from a bound local address. smol has no socket builder, so the socket is
/// made with `socket2` and connected on the blocking pool (a rare path).
async fn connect_bound(addr: SocketAddr, local: SocketAddr) -> io::Result<TcpStream> {
    let std_stream = smol::unblock(move || {
        let domain = socket2::Domain::for_address(addr);
        let socket =
            socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
        socket.bind(&local.into())?;
        socket.connect(&addr.into())?;
        io::Result::Ok(std::net::TcpStream::from(socket))
    })
    .await?;
    TcpStream::try_from(std_stream)
}

impl Net for SmolNet {
    fn resolve(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> {
        let host = host.to_owned();
        Box::pin(async move { smol::net::resolve((host.as_str(), port)).await })
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
                let s = smol::net::unix::UnixStream::connect(path).await?;
                Ok(Box::new(s) as BoxTransport)
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
                    let l = smol::net::unix::UnixListener::bind(&path)?;
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
    Ok(FnListener::new(local, move || {
        let l = l.clone();
        Box::pin(async move {
            let (s, peer) = l.accept().await?;
            Ok((boxed_tcp(s)?, Addr::Tcp(peer)))
        })
    }))
}

#[cfg(unix)]
fn unix_listener(l: smol::net::unix::UnixListener, path: PathBuf) -> FnListener {
    FnListener::new(Addr::Unix(path), move || {
        let l = l.clone();
        Box::pin(async move {
            let (s, peer) = l.accept().await?;
            let path = peer.as_pathname().map(PathBuf::from).unwrap_or_default();
            Ok((Box::new(s) as BoxTransport, Addr::Unix(path)))
        })
    })
}

/// The clock and smol's timers.
struct SmolClock;

struct SmolTimer(smol::Timer);

impl Future for SmolTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_| ())
    }
}

impl Timer for SmolTimer {
    fn reset(mut self: Pin<&mut Self>, deadline: Instant) {
        self.0.set_at(deadline);
    }
}

impl Sleep for SmolClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(SmolTimer(smol::Timer::at(deadline)))
    }
}

/// Spawning onto smol's global executor.
struct SmolSpawn;

impl Spawn for SmolSpawn {
    fn spawn(&self, task: BoxFuture<'static, ()>) {
        smol::spawn(task).detach();
    }

    fn spawn_blocking(&self, job: Box<dyn FnOnce() + Send>) {
        smol::unblock(job).detach();
    }
}
