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
use std::task::{Context, Poll, Waker};
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
    /// A `tokio::time::Sleep` that is polled again only when that can change something.
    struct TokioTimer {
        #[pin]
        sleep: tokio::time::Sleep,
        // The waker that the last pending poll left with `sleep`, while no reset came
        // after it: `sleep` wakes it when it fires.
        registered: Option<Waker>,
    }
}

impl Future for TokioTimer {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.project();
        // A wait polled again (each wake-up of its task): the timer already holds this
        // task's waker and has not fired, so polling it would change nothing.
        if let Some(w) = this.registered.as_ref() {
            if w.will_wake(cx.waker()) && !this.sleep.is_elapsed() {
                return Poll::Pending;
            }
        }
        match this.sleep.poll(cx) {
            Poll::Ready(()) => {
                *this.registered = None;
                Poll::Ready(())
            }
            Poll::Pending => {
                match this.registered {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    other => *other = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl Timer for TokioTimer {
    fn reset(self: Pin<&mut Self>, deadline: Instant) {
        let this = self.project();
        *this.registered = None;
        this.sleep.reset(deadline.into());
    }
}

impl Sleep for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn timer(&self, deadline: Instant) -> Pin<Box<dyn Timer>> {
        Box::pin(TokioTimer {
            sleep: tokio::time::sleep_until(deadline.into()),
            registered: None,
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Polls `timer` until it fires, waking its own task after each pending poll (as a
    /// wait woken by other events polls its timer again); the number of polls.
    async fn poll_until_fired(timer: &mut Pin<Box<dyn Timer>>) -> usize {
        let mut polls = 0;
        std::future::poll_fn(|cx| {
            polls += 1;
            match timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(()),
                Poll::Pending => {
                    cx.waker().wake_by_ref();
                    Poll::Pending
                }
            }
        })
        .await;
        polls
    }

    #[tokio::test(flavor = "current_thread")]
    async fn timer_polled_on_every_wake_up_fires_at_its_deadline_and_after_resets() {
        let clock = TokioClock;
        let start = clock.now();
        let mut timer = clock.timer(start + Duration::from_millis(5));
        assert!(poll_until_fired(&mut timer).await > 1);
        assert!(clock.now() >= start + Duration::from_millis(5));

        // Registered, then moved later: fires at the new deadline, not the old one.
        let t1 = clock.now();
        timer.as_mut().reset(t1 + Duration::from_millis(2));
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        assert!(timer.as_mut().poll(&mut cx).is_pending());
        timer.as_mut().reset(t1 + Duration::from_millis(8));
        poll_until_fired(&mut timer).await;
        assert!(clock.now() >= t1 + Duration::from_millis(8));

        // Registered by one waker, polled by another: the new one is woken.
        let t2 = clock.now();
        timer.as_mut().reset(t2 + Duration::from_millis(3));
        assert!(timer.as_mut().poll(&mut cx).is_pending());
        timer.as_mut().await;
        assert!(clock.now() >= t2 + Duration::from_millis(3));
    }
}
