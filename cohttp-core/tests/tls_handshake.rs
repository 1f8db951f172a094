//! TLS handshakes over the mock backend: echo, SNI, ALPN, IP literals, and the typed
//! errors for a wrong name, an untrusted certificate and bad PEM.

mod tls_support;

use cohttp_core::runtime::{Addr, Ctx, Endpoint};
use cohttp_core::tls::{self, Roots, TlsClient, TlsServer};
use cohttp_core::{ErrorKind, TlsFailure};
use cohttp_mock::{Faults, Sim};
use futures_util::io::{AsyncReadExt, AsyncWriteExt};
use tls_support::{handshake_pair, Pki};

fn tls_kind(e: &cohttp_core::Error) -> Option<TlsFailure> {
    match e.kind() {
        ErrorKind::Tls(f) => Some(*f),
        _ => None,
    }
}

#[test]
fn tls_echo_both_ways_over_mock_duplex() {
    let pki = Pki::new(&["localhost"]);
    let sim = Sim::new(1);
    let (c, s) = cohttp_mock::duplex(&sim, Faults::none());
    let server = pki.server();
    let srv = sim.spawn(async move {
        let (mut s, info) = server.accept_with_info(Box::new(s)).await?;
        let mut buf = [0u8; 4];
        s.read_exact(&mut buf).await?;
        s.write_all(b"pong:").await?;
        s.write_all(&buf).await?;
        s.flush().await?;
        Ok::<_, cohttp_core::Error>(info)
    });
    let client = pki.client();
    let back = sim.block_on(async {
        let mut c = tls::connect(Box::new(c), "localhost", &client).await?;
        c.write_all(b"ping").await?;
        c.flush().await?;
        let mut back = [0u8; 9];
        c.read_exact(&mut back).await?;
        Ok::<_, cohttp_core::Error>(back)
    });
    assert_eq!(&back.expect("client side"), b"pong:ping");
    let info = sim.block_on(srv).expect("server side");
    assert_eq!(info.alpn(), Some(&b"http/1.1"[..]));
    assert_eq!(info.server_name(), Some("localhost"));
}

#[test]
fn tls_sni_is_the_uri_host_through_connect_tls() {
    // The endpoint is a named in-memory address that carries no host: the SNI and the
    // verified name come from the `server_name` argument (the URI's host).
    let pki = Pki::new(&["api.example.test"]);
    let sim = Sim::new(2);
    let rt = sim.runtime();
    let server = pki.server();
    let srv = sim.spawn({
        let rt = rt.clone();
        async move {
            let mut l = rt.listen(Addr::Named("origin".into())).await?;
            let (s, _) = l.accept().await?;
            let (mut s, info) = server.accept_with_info(s).await?;
            s.write_all(b"hi").await?;
            s.close().await?;
            Ok::<_, cohttp_core::Error>(info)
        }
    });
    let ctx = Ctx::new().with_tls(pki.client());
    assert!(format!("{ctx:?}").contains("custom PEM (1 roots)"));
    let got = sim.block_on(async {
        let mut c = rt
            .connect_tls(&ctx, &Endpoint::Named("origin".into()), "api.example.test")
            .await?;
        let mut got = String::new();
        c.read_to_string(&mut got).await?;
        Ok::<_, cohttp_core::Error>(got)
    });
    assert_eq!(got.expect("client"), "hi");
    let info = sim.block_on(srv).expect("server");
    assert_eq!(info.server_name(), Some("api.example.test"));
}

#[test]
fn tls_ip_literal_sends_no_sni_and_verifies_the_ip() {
    let pki = Pki::new(&["127.0.0.1"]);
    let sim = Sim::new(3);
    let (c, s) = handshake_pair(
        &sim,
        Faults::none(),
        &pki.client(),
        &pki.server(),
        "127.0.0.1",
    );
    c.expect("client handshake to 127.0.0.1");
    let (_, info) = s.expect("server handshake");
    assert_eq!(info.server_name(), None, "no SNI for an IP literal");

    // A bracketed IPv6 literal the certificate does not name.
    let (c, _) = handshake_pair(&sim, Faults::none(), &pki.client(), &pki.server(), "[::1]");
    let e = c.err().expect("::1 is not in the certificate");
    assert_eq!(tls_kind(&e), Some(TlsFailure::NameMismatch), "{e}");
}

#[test]
fn tls_wrong_host_name_is_a_name_mismatch() {
    let pki = Pki::new(&["localhost"]);
    let sim = Sim::new(4);
    let (c, s) = handshake_pair(
        &sim,
        Faults::none(),
        &pki.client(),
        &pki.server(),
        "example.com",
    );
    let e = c
        .err()
        .expect("a certificate for localhost must not pass for example.com");
    assert_eq!(tls_kind(&e), Some(TlsFailure::NameMismatch), "{e}");
    assert!(
        e.to_string()
            .starts_with("TLS handshake with example.com failed: TLS: certificate not valid"),
        "{e}"
    );
    // The client told the server why with an alert.
    let e = s.err().expect("server must fail too");
    assert_eq!(tls_kind(&e), Some(TlsFailure::PeerAlert), "{e}");
    assert!(
        e.to_string()
            .starts_with("TLS handshake with a client failed"),
        "{e}"
    );
}

#[test]
fn tls_untrusted_certificate_is_refused() {
    let pki = Pki::new(&["localhost"]);
    let other = Pki::new(&["localhost"]);
    let sim = Sim::new(5);
    let (c, _) = handshake_pair(
        &sim,
        Faults::none(),
        &other.client(),
        &pki.server(),
        "localhost",
    );
    let e = c
        .err()
        .expect("a certificate from an unknown CA must be refused");
    assert_eq!(tls_kind(&e), Some(TlsFailure::UntrustedCertificate), "{e}");
    assert!(
        e.to_string()
            .contains("TLS handshake with localhost failed"),
        "{e}"
    );
}

#[test]
fn tls_default_roots_do_not_trust_a_private_ca() {
    let pki = Pki::new(&["localhost"]);
    let sim = Sim::new(6);
    let ctx = Ctx::new();
    assert!(format!("{:?}", ctx.tls_client()).contains("webpki-roots"));
    let (c, _) = handshake_pair(
        &sim,
        Faults::none(),
        ctx.tls_client(),
        &pki.server(),
        "localhost",
    );
    let e = c.err().expect("webpki-roots do not hold the test CA");
    assert_eq!(tls_kind(&e), Some(TlsFailure::UntrustedCertificate), "{e}");
}

#[test]
fn tls_over_a_stream_that_began_in_plaintext() {
    // What a CONNECT tunnel does: a plaintext exchange first, then TLS to the origin
    // over the very same stream.
    let pki = Pki::new(&["origin.test"]);
    let sim = Sim::new(7);
    let (c, s) = cohttp_mock::duplex(&sim, Faults::none());
    let server = pki.server();
    let srv = sim.spawn(async move {
        let mut s: cohttp_core::runtime::BoxTransport = Box::new(s);
        let mut head = [0u8; 8];
        s.read_exact(&mut head).await?;
        assert_eq!(&head, b"CONNECT\n");
        s.write_all(b"200\n").await?;
        s.flush().await?;
        let mut s = server.accept(s).await?;
        s.write_all(b"inside").await?;
        s.close().await?;
        Ok::<_, cohttp_core::Error>(())
    });
    let client = pki.client();
    let got = sim.block_on(async {
        let mut c: cohttp_core::runtime::BoxTransport = Box::new(c);
        c.write_all(b"CONNECT\n").await?;
        c.flush().await?;
        let mut ok = [0u8; 4];
        c.read_exact(&mut ok).await?;
        assert_eq!(&ok, b"200\n");
        let mut c = tls::connect(c, "origin.test", &client).await?;
        let mut got = String::new();
        c.read_to_string(&mut got).await?;
        Ok::<_, cohttp_core::Error>(got)
    });
    assert_eq!(got.expect("client"), "inside");
    sim.block_on(srv).expect("server");
}

#[test]
fn tls_bad_pem_is_a_config_error() {
    let pki = Pki::new(&["localhost"]);
    let other = Pki::new(&["localhost"]);
    let config = |r: cohttp_core::Result<TlsServer>| {
        tls_kind(&r.expect_err("must fail")).expect("a TLS error")
    };
    assert_eq!(
        config(TlsServer::from_pem(b"", pki.key_pem.as_bytes())),
        TlsFailure::Config
    );
    assert_eq!(
        config(TlsServer::from_pem(pki.chain_pem.as_bytes(), b"not a key")),
        TlsFailure::Config
    );
    // A key that belongs to another certificate.
    assert_eq!(
        config(TlsServer::from_pem(
            pki.chain_pem.as_bytes(),
            other.key_pem.as_bytes()
        )),
        TlsFailure::Config
    );
    let e = TlsClient::with_roots(Roots::Pem(b"garbage".to_vec())).expect_err("no roots");
    assert_eq!(tls_kind(&e), Some(TlsFailure::Config), "{e}");
}

#[test]
fn tls_invalid_server_name_is_typed() {
    let pki = Pki::new(&["localhost"]);
    let sim = Sim::new(8);
    let (c, _s) = cohttp_mock::duplex(&sim, Faults::none());
    let client = pki.client();
    let r = sim.block_on(tls::connect(Box::new(c), "not a host!", &client));
    let e = r.err().expect("must fail");
    assert_eq!(tls_kind(&e), Some(TlsFailure::InvalidServerName), "{e}");
}
