//! Conformance cases for the runtime contract itself: what `Net`, `Sleep` and `Spawn`
//! must do on every backend (see [`crate::runtime`]).

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};

use super::{ensure, Case};
use crate::runtime::{Addr, Ctx, Endpoint, Runtime};

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "runtime_tcp_echo",
            run: |rt| Box::pin(tcp_echo(rt)),
        },
        Case {
            name: "runtime_half_close",
            run: |rt| Box::pin(half_close(rt)),
        },
        Case {
            name: "runtime_resolve_localhost",
            run: |rt| Box::pin(resolve_localhost(rt)),
        },
        Case {
            name: "runtime_connect_refused",
            run: |rt| Box::pin(connect_refused(rt)),
        },
        Case {
            name: "runtime_bind_address",
            run: |rt| Box::pin(bind_address(rt)),
        },
        Case {
            name: "runtime_timers",
            run: |rt| Box::pin(timers(rt)),
        },
        Case {
            name: "runtime_spawn_and_blocking",
            run: |rt| Box::pin(spawn_and_blocking(rt)),
        },
        Case {
            name: "runtime_unix_socket",
            run: |rt| Box::pin(unix_socket(rt)),
        },
    ]
}

fn loopback() -> Addr {
    Addr::Tcp(SocketAddr::from(([127, 0, 0, 1], 0)))
}

fn tcp_endpoint(addr: &Addr) -> Result<Endpoint, String> {
    match addr {
        Addr::Tcp(a) => Ok(Endpoint::Tcp {
            host: a.ip().to_string(),
            port: a.port(),
            addrs: vec![*a],
        }),
        other => Err(format!("listener on loopback reported {other}")),
    }
}

async fn tcp_echo(rt: Runtime) -> Result<(), String> {
    let mut listener = rt.listen(loopback()).await.map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let endpoint = tcp_endpoint(&addr)?;
    let (tx, rx) = futures_channel::oneshot::channel();
    rt.spawn(async move {
        let r = async {
            let (mut s, peer) = listener.accept().await?;
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await?;
            s.write_all(&buf).await?;
            s.flush().await?;
            std::io::Result::Ok(peer)
        }
        .await;
        let _ = tx.send(r);
    });
    let mut c = rt
        .connect(&Ctx::new(), &endpoint)
        .await
        .map_err(|e| e.to_string())?;
    c.write_all(b"hello").await.map_err(|e| e.to_string())?;
    c.flush().await.map_err(|e| e.to_string())?;
    let mut back = [0u8; 5];
    c.read_exact(&mut back).await.map_err(|e| e.to_string())?;
    ensure!(&back == b"hello", "echo returned {back:?}");
    let peer = rx
        .await
        .map_err(|_| "acceptor dropped".to_string())?
        .map_err(|e| e.to_string())?;
    ensure!(
        matches!(peer, Addr::Tcp(a) if a.ip().is_loopback()),
        "peer address {peer}"
    );
    Ok(())
}

async fn half_close(rt: Runtime) -> Result<(), String> {
    let mut listener = rt.listen(loopback()).await.map_err(|e| e.to_string())?;
    let endpoint = tcp_endpoint(&listener.local_addr().map_err(|e| e.to_string())?)?;
    rt.spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            let mut all = Vec::new();
            // Reads to end of stream: the client's half-close must end it.
            if s.read_to_end(&mut all).await.is_ok() {
                let _ = s
                    .write_all(format!("got {} bytes", all.len()).as_bytes())
                    .await;
                let _ = s.close().await;
            }
        }
    });
    let mut c = rt
        .connect(&Ctx::new(), &endpoint)
        .await
        .map_err(|e| e.to_string())?;
    c.write_all(b"request").await.map_err(|e| e.to_string())?;
    c.close()
        .await
        .map_err(|e| format!("half-close failed: {e}"))?;
    let mut answer = String::new();
    c.read_to_string(&mut answer)
        .await
        .map_err(|e| format!("read after half-close: {e}"))?;
    ensure!(answer == "got 7 bytes", "server answered {answer:?}");
    Ok(())
}

async fn resolve_localhost(rt: Runtime) -> Result<(), String> {
    let e = rt
        .resolve(&Ctx::new(), "localhost", 8080)
        .await
        .map_err(|e| e.to_string())?;
    match e {
        Endpoint::Tcp { addrs, port, .. } => {
            ensure!(port == 8080, "port {port}");
            ensure!(!addrs.is_empty(), "no addresses for localhost");
            ensure!(
                addrs
                    .iter()
                    .all(|a| a.ip().is_loopback() && a.port() == 8080),
                "addresses {addrs:?}"
            );
            Ok(())
        }
        other => Err(format!("localhost resolved to {other}")),
    }
}

async fn connect_refused(rt: Runtime) -> Result<(), String> {
    let listener = rt.listen(loopback()).await.map_err(|e| e.to_string())?;
    let endpoint = tcp_endpoint(&listener.local_addr().map_err(|e| e.to_string())?)?;
    drop(listener);
    match rt.connect(&Ctx::new(), &endpoint).await {
        Ok(_) => Err("connected to a closed port".into()),
        Err(e) => {
            let msg = e.to_string();
            ensure!(
                msg.starts_with(&format!(
                    "could not connect to {endpoint}: connection refused"
                )),
                "error reads {msg:?}"
            );
            Ok(())
        }
    }
}

async fn bind_address(rt: Runtime) -> Result<(), String> {
    let mut listener = rt.listen(loopback()).await.map_err(|e| e.to_string())?;
    let endpoint = tcp_endpoint(&listener.local_addr().map_err(|e| e.to_string())?)?;
    let (tx, rx) = futures_channel::oneshot::channel();
    rt.spawn(async move {
        let r = listener.accept().await.map(|(_, peer)| peer);
        let _ = tx.send(r);
    });
    let ctx = Ctx::new().with_bind(SocketAddr::from(([127, 0, 0, 1], 0)));
    let _c = rt
        .connect(&ctx, &endpoint)
        .await
        .map_err(|e| e.to_string())?;
    let peer = rx
        .await
        .map_err(|_| "acceptor dropped".to_string())?
        .map_err(|e| e.to_string())?;
    ensure!(
        matches!(peer, Addr::Tcp(a) if a.ip() == std::net::Ipv4Addr::LOCALHOST),
        "peer {peer}"
    );
    Ok(())
}

async fn timers(rt: Runtime) -> Result<(), String> {
    let start = rt.now();
    rt.sleep(Duration::from_millis(20)).await;
    let slept = rt.now().duration_since(start);
    ensure!(
        slept >= Duration::from_millis(20),
        "sleep(20ms) returned after {slept:?}"
    );

    // A timer moved earlier completes at the new deadline.
    let mut t = rt.timer(rt.now() + Duration::from_secs(3600));
    t.as_mut().reset(rt.now() + Duration::from_millis(5));
    t.await;

    let r = rt
        .timeout(
            Duration::from_millis(10),
            futures_util::future::pending::<()>(),
        )
        .await;
    ensure!(
        r.as_ref().is_err_and(|e| e.is_timeout()),
        "timeout did not fire: {r:?}"
    );
    let r = rt.timeout(Duration::from_secs(10), async { 7 }).await;
    ensure!(matches!(r, Ok(7)), "ready future timed out: {r:?}");
    Ok(())
}

async fn spawn_and_blocking(rt: Runtime) -> Result<(), String> {
    let (tx, rx) = futures_channel::oneshot::channel();
    let inner = rt.clone();
    rt.spawn(async move {
        // A task spawned from a task.
        let (tx2, rx2) = futures_channel::oneshot::channel();
        inner.spawn(async move {
            let _ = tx2.send(21);
        });
        let v = rx2.await.unwrap_or(0);
        let _ = tx.send(v * 2);
    });
    let v = rx.await.map_err(|_| "spawned task dropped".to_string())?;
    ensure!(v == 42, "spawned tasks computed {v}");
    // A blocking job runs and its result comes back, whichever thread ran it.
    let b = rt.blocking(|| 6 * 7).await.map_err(|e| e.to_string())?;
    ensure!(b == 42, "blocking job returned {b}");
    Ok(())
}

async fn unix_socket(rt: Runtime) -> Result<(), String> {
    if !cfg!(unix) {
        return Ok(());
    }
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("cohttp-{}-{n}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut listener = rt
        .listen(Addr::Unix(path.clone()))
        .await
        .map_err(|e| e.to_string())?;
    rt.spawn(async move {
        if let Ok((mut s, _)) = listener.accept().await {
            // Reads to end of stream: the client's half-close must end it.
            let mut all = Vec::new();
            if s.read_to_end(&mut all).await.is_ok() {
                let _ = s.write_all(&all).await;
                let _ = s.close().await;
            }
        }
    });
    let r = async {
        let mut c = rt
            .connect(&Ctx::new(), &Endpoint::Unix(path.clone()))
            .await
            .map_err(|e| e.to_string())?;
        c.write_all(b"unix").await.map_err(|e| e.to_string())?;
        c.close()
            .await
            .map_err(|e| format!("half-close failed: {e}"))?;
        let mut back = Vec::new();
        c.read_to_end(&mut back).await.map_err(|e| e.to_string())?;
        ensure!(back == b"unix", "echo returned {back:?}");
        Ok(())
    }
    .await;
    let _ = std::fs::remove_file(&path);
    r
}
