//! Conformance cases for TLS (features `testkit` and `tls`): a TLS echo and a TLS
//! half-close over the backend's real TCP, with [`crate::tls`] on both ends, and an
//! `https` round trip between this crate's server (`ServerConfig::tls`) and client.
//!
//! The certificates are embedded PEM constants, made once with `rcgen` 0.13 (the
//! `Pki` helper of `cohttp-core/tests/tls_support`): a CA named `cohttp test CA 0`
//! and a leaf it signed for `localhost` and `127.0.0.1`, both ECDSA P-256, valid from
//! 1975 to 4096. **The key is a test-only key, public in this source: never use it for
//! anything else.** Embedding keeps `rcgen` out of the crate's dependencies.

use std::net::SocketAddr;

use futures_util::io::{AsyncReadExt, AsyncWriteExt};

use super::{ensure, Case};
use crate::body::Body;
use crate::client::{Cache, CacheConfig, Client, ConnectionConfig};
use crate::error::Error;
use crate::runtime::{Addr, Ctx, Endpoint, Runtime};
use crate::server::{respond_string, serve_listener, ConnInfo, ServerConfig};
use crate::tls::{Roots, TlsClient, TlsServer};

/// The test CA's certificate (what the client trusts).
const CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBbTCCARKgAwIBAgIUODMi01ijtbXzXNlu417CD6JzAhgwCgYIKoZIzj0EAwIw\n\
GzEZMBcGA1UEAwwQY29odHRwIHRlc3QgQ0EgMDAgFw03NTAxMDEwMDAwMDBaGA80\n\
MDk2MDEwMTAwMDAwMFowGzEZMBcGA1UEAwwQY29odHRwIHRlc3QgQ0EgMDBZMBMG\n\
ByqGSM49AgEGCCqGSM49AwEHA0IABORA3ohiO+4hCoqK5yIxL3Jem3NJa573KK4P\n\
zti4jeVmghmaAgtIyZIdGXLOGXHTuArWsRNAq1uAx1pIVHp7T3CjMjAwMB0GA1Ud\n\
DgQWBBRho7r+QidOouOIpOTvPHc520EIBzAPBgNVHRMBAf8EBTADAQH/MAoGCCqG\n\
SM49BAMCA0kAMEYCIQC1C9XzoG8NhDvewW9nJRcsOcYI34N1PmGqxAmFLGK4aQIh\n\
AOrvTHp45e25fKqkC6yvMUmKh57w1jsBS2d1jR1O6bqv\n\
-----END CERTIFICATE-----\n\
";

/// The server's chain: the leaf for `localhost` and `127.0.0.1`, then the CA.
const CHAIN_PEM: &str = "\
-----BEGIN CERTIFICATE-----\n\
MIIBXzCCAQSgAwIBAgIUVpzGa1ONnoznN3mZNJSUUWALbhIwCgYIKoZIzj0EAwIw\n\
GzEZMBcGA1UEAwwQY29odHRwIHRlc3QgQ0EgMDAgFw03NTAxMDEwMDAwMDBaGA80\n\
MDk2MDEwMTAwMDAwMFowITEfMB0GA1UEAwwWcmNnZW4gc2VsZiBzaWduZWQgY2Vy\n\
dDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCT8gsMXG/9q3DpbYFGVIA9ucpju\n\
GA/+/LNYmWE/mFWyHBchfuspGkWH4Qq6b0zwDLcTZt6LhA71LS+ic2+scp2jHjAc\n\
MBoGA1UdEQQTMBGCCWxvY2FsaG9zdIcEfwAAATAKBggqhkjOPQQDAgNJADBGAiEA\n\
p6oIhRDHWcCfW/lpnLXJkdbS/p2vwqDas2Hn6C4rLBMCIQCfTgZthaSj1eN9dClp\n\
3r19QCHi/wLZLbRPO54xw2eNwg==\n\
-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\n\
MIIBbTCCARKgAwIBAgIUODMi01ijtbXzXNlu417CD6JzAhgwCgYIKoZIzj0EAwIw\n\
GzEZMBcGA1UEAwwQY29odHRwIHRlc3QgQ0EgMDAgFw03NTAxMDEwMDAwMDBaGA80\n\
MDk2MDEwMTAwMDAwMFowGzEZMBcGA1UEAwwQY29odHRwIHRlc3QgQ0EgMDBZMBMG\n\
ByqGSM49AgEGCCqGSM49AwEHA0IABORA3ohiO+4hCoqK5yIxL3Jem3NJa573KK4P\n\
zti4jeVmghmaAgtIyZIdGXLOGXHTuArWsRNAq1uAx1pIVHp7T3CjMjAwMB0GA1Ud\n\
DgQWBBRho7r+QidOouOIpOTvPHc520EIBzAPBgNVHRMBAf8EBTADAQH/MAoGCCqG\n\
SM49BAMCA0kAMEYCIQC1C9XzoG8NhDvewW9nJRcsOcYI34N1PmGqxAmFLGK4aQIh\n\
AOrvTHp45e25fKqkC6yvMUmKh57w1jsBS2d1jR1O6bqv\n\
-----END CERTIFICATE-----\n\
";

/// The leaf's private key (PKCS#8). Test-only: it is public.
const KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----\n\
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzs41Is5hpOpeFb82\n\
XPVEUjW75Cb79U7ajQgTweYlp+ehRANCAAQk/ILDFxv/atw6W2BRlSAPbnKY7hgP\n\
/vyzWJlhP5hVshwXIX7rKRpFh+EKum9M8Ay3E2bei4QO9S0vonNvrHKd\n\
-----END PRIVATE KEY-----\n\
";

pub(super) fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "tls_echo",
            run: |rt| Box::pin(tls_echo(rt)),
        },
        Case {
            name: "tls_half_close",
            run: |rt| Box::pin(tls_half_close(rt)),
        },
        Case {
            name: "tls_https_round_trip",
            run: |rt| Box::pin(tls_https_round_trip(rt)),
        },
    ]
}

fn settings() -> Result<(Ctx, TlsServer), String> {
    let server =
        TlsServer::from_pem(CHAIN_PEM.as_bytes(), KEY_PEM.as_bytes()).map_err(|e| e.to_string())?;
    let client =
        TlsClient::with_roots(Roots::Pem(CA_PEM.as_bytes().to_vec())).map_err(|e| e.to_string())?;
    Ok((Ctx::new().with_tls(client), server))
}

async fn listen(rt: &Runtime) -> Result<(Box<dyn crate::runtime::Listener>, Endpoint), String> {
    let listener = rt
        .listen(Addr::Tcp(SocketAddr::from(([127, 0, 0, 1], 0))))
        .await
        .map_err(|e| e.to_string())?;
    match listener.local_addr().map_err(|e| e.to_string())? {
        Addr::Tcp(a) => Ok((
            listener,
            Endpoint::Tcp {
                host: "localhost".into(),
                port: a.port(),
                addrs: vec![a],
            },
        )),
        other => Err(format!("listener on loopback reported {other}")),
    }
}

async fn tls_echo(rt: Runtime) -> Result<(), String> {
    let (ctx, server) = settings()?;
    let (mut listener, endpoint) = listen(&rt).await?;
    let (tx, rx) = futures_channel::oneshot::channel();
    rt.spawn(async move {
        let r = async {
            let (s, _) = listener.accept().await?;
            let (mut s, info) = server.accept_with_info(s).await?;
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await?;
            s.write_all(&buf).await?;
            s.flush().await?;
            Ok::<_, crate::Error>(info)
        }
        .await;
        let _ = tx.send(r);
    });
    let mut c = rt
        .connect_tls(&ctx, &endpoint, "localhost")
        .await
        .map_err(|e| e.to_string())?;
    c.write_all(b"hello").await.map_err(|e| e.to_string())?;
    c.flush().await.map_err(|e| e.to_string())?;
    let mut back = [0u8; 5];
    c.read_exact(&mut back).await.map_err(|e| e.to_string())?;
    ensure!(&back == b"hello", "echo returned {back:?}");
    let info = rx
        .await
        .map_err(|_| "acceptor dropped".to_string())?
        .map_err(|e| format!("server: {e}"))?;
    ensure!(
        info.server_name() == Some("localhost"),
        "server saw SNI {:?}",
        info.server_name()
    );
    ensure!(
        info.alpn() == Some(&b"http/1.1"[..]),
        "ALPN {:?}",
        info.alpn()
    );
    Ok(())
}

async fn tls_half_close(rt: Runtime) -> Result<(), String> {
    let (ctx, server) = settings()?;
    let (mut listener, endpoint) = listen(&rt).await?;
    rt.spawn(async move {
        let r = async {
            let (s, _) = listener.accept().await?;
            let mut s = server.accept(s).await?;
            // Ends cleanly only on the client's close_notify.
            let mut all = Vec::new();
            s.read_to_end(&mut all).await?;
            s.write_all(format!("got {} bytes", all.len()).as_bytes())
                .await?;
            s.close().await?;
            Ok::<_, crate::Error>(())
        }
        .await;
        if let Err(e) = r {
            log::warn!("tls_half_close server: {e}");
        }
    });
    // An IP literal as the server name: no SNI, the certificate names 127.0.0.1.
    let mut c = rt
        .connect_tls(&ctx, &endpoint, "127.0.0.1")
        .await
        .map_err(|e| e.to_string())?;
    c.write_all(b"request").await.map_err(|e| e.to_string())?;
    c.close()
        .await
        .map_err(|e| format!("close (close_notify, half-close) failed: {e}"))?;
    let mut answer = String::new();
    c.read_to_string(&mut answer)
        .await
        .map_err(|e| format!("read after close: {e}"))?;
    ensure!(answer == "got 7 bytes", "server answered {answer:?}");
    Ok(())
}

/// Answers `METHOD PATH conn=ID tls=BOOL sni=NAME body=BODY`.
async fn describe(
    conn: ConnInfo,
    req: http::Request<()>,
    body: Body,
) -> Result<http::Response<Body>, Error> {
    let body = body.to_string().await?;
    let sni = conn
        .tls()
        .and_then(|t| t.server_name())
        .unwrap_or("-")
        .to_string();
    Ok(respond_string(
        http::StatusCode::OK,
        format!(
            "{} {} conn={} tls={} sni={sni} body={body}",
            req.method(),
            req.uri().path(),
            conn.id(),
            conn.is_tls()
        ),
    ))
}

/// Our server with TLS and our client over the backend's TCP: a kept-alive connection
/// through a cache (GET, POST, GET), then a connection per request without one.
async fn tls_https_round_trip(rt: Runtime) -> Result<(), String> {
    let (ctx, server_tls) = settings()?;
    let (listener, endpoint) = listen(&rt).await?;
    let port = match &endpoint {
        Endpoint::Tcp { port, .. } => *port,
        other => return Err(format!("not a TCP endpoint: {other}")),
    };
    let (stop_tx, stop_rx) = futures_channel::oneshot::channel::<()>();
    let (done_tx, done_rx) = futures_channel::oneshot::channel::<()>();
    let server_rt = rt.clone();
    rt.spawn(async move {
        let stop = async move {
            let _ = stop_rx.await;
        };
        let config = ServerConfig::new().tls(server_tls);
        serve_listener(&server_rt, listener, describe, config, stop).await;
        let _ = done_tx.send(());
    });
    // `localhost` goes to the listener without a DNS lookup; it is still the SNI name
    // and the name the certificate is checked against.
    let ctx = ctx.with_override("localhost", endpoint);
    let config = ConnectionConfig::new().ctx(ctx);
    let url = |path: &str| format!("https://localhost:{port}{path}");
    let err = |e: Error| e.to_string();

    let cache = Cache::new(
        &rt,
        CacheConfig::new().parallel(1).connection(config.clone()),
    );
    let client = Client::new(&rt).with_cache(cache);
    let mut answers = Vec::new();
    for (method, path) in [("GET", "/a"), ("POST", "/b"), ("GET", "/c")] {
        let resp = match method {
            "POST" => client.post(url(path).as_str(), "payload").await,
            _ => client.get(url(path).as_str()).await,
        }
        .map_err(err)?;
        ensure!(resp.status() == 200, "{method} {path}: {}", resp.status());
        answers.push(resp.into_body().to_string().await.map_err(err)?);
    }
    ensure!(
        answers
            == [
                "GET /a conn=1 tls=true sni=localhost body=",
                "POST /b conn=1 tls=true sni=localhost body=payload",
                "GET /c conn=1 tls=true sni=localhost body=",
            ],
        "kept-alive answers: {answers:?}"
    );

    let once = Client::new(&rt).connection_config(config);
    let resp = once.get(url("/d").as_str()).await.map_err(err)?;
    let answer = resp.into_body().to_string().await.map_err(err)?;
    ensure!(
        answer == "GET /d conn=2 tls=true sni=localhost body=",
        "answer without a cache: {answer:?}"
    );
    drop(client);
    let _ = stop_tx.send(());
    done_rx
        .await
        .map_err(|_| "server task vanished".to_string())
}
