//! Shared by the `tls_*` integration tests: certificates made at test time with rcgen
//! (a private CA and a leaf it signs), a client/server pair over a mock duplex, and
//! our HTTP server with TLS on the mock network answering with what it saw.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};

use cohttp_core::client::ConnectionConfig;
use cohttp_core::runtime::{Addr, BoxTransport, Ctx};
use cohttp_core::server::{respond_string, serve_listener, ConnInfo, Handler, ServerConfig};
use cohttp_core::tls::{self, Roots, TlsClient, TlsServer};
use cohttp_core::{Body, Error};
use cohttp_mock::{Faults, Sim};
use http::StatusCode;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

/// A private CA and one server certificate it issued.
pub struct Pki {
    /// The CA certificate, PEM: what a client trusts.
    pub ca_pem: String,
    /// The server's chain (leaf, then the CA), PEM.
    pub chain_pem: String,
    /// The leaf's private key, PEM.
    pub key_pem: String,
}

impl Pki {
    /// A new CA and a leaf for `names` (DNS names or IP literals).
    pub fn new(names: &[&str]) -> Pki {
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        // A distinct name per CA: a client that trusts another test CA then finds no
        // issuer at all (rather than a same-named one whose signature does not match).
        static SERIAL: AtomicUsize = AtomicUsize::new(0);
        let n = SERIAL.fetch_add(1, Ordering::Relaxed);
        ca.distinguished_name
            .push(DnType::CommonName, format!("cohttp test CA {n}"));
        let ca_cert = ca.self_signed(&ca_key).expect("CA cert");

        let leaf_key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let leaf = CertificateParams::new(names).expect("leaf params");
        let leaf_cert = leaf
            .signed_by(&leaf_key, &ca_cert, &ca_key)
            .expect("leaf cert");
        Pki {
            ca_pem: ca_cert.pem(),
            chain_pem: format!("{}{}", leaf_cert.pem(), ca_cert.pem()),
            key_pem: leaf_key.serialize_pem(),
        }
    }

    /// Client settings trusting this CA only.
    pub fn client(&self) -> TlsClient {
        TlsClient::with_roots(Roots::Pem(self.ca_pem.as_bytes().to_vec())).expect("roots")
    }

    /// Server settings with this leaf.
    pub fn server(&self) -> TlsServer {
        TlsServer::from_pem(self.chain_pem.as_bytes(), self.key_pem.as_bytes()).expect("server")
    }
}

/// Runs the client handshake (as `name`) and the server one over a mock duplex with
/// `faults`; returns both outcomes.
pub fn handshake_pair(
    sim: &Sim,
    faults: Faults,
    client: &TlsClient,
    server: &TlsServer,
    name: &str,
) -> (
    cohttp_core::Result<BoxTransport>,
    cohttp_core::Result<(BoxTransport, tls::TlsInfo)>,
) {
    let (c, s) = cohttp_mock::duplex(sim, faults);
    let server = server.clone();
    let srv = sim.spawn(async move { server.accept_with_info(Box::new(s)).await });
    sim.block_on(async {
        let c = tls::connect(Box::new(c), name, client).await;
        // A failed client drops its stream, which ends the server's handshake too.
        (c, srv.await)
    })
}

/// What [`describe_handler`] answers: `METHOD PATH conn=ID tls=BOOL sni=NAME` (`sni=-`
/// without one), so a test sees which connection served it and how.
pub fn describe(conn: &ConnInfo, req: &http::Request<()>) -> String {
    let sni = conn
        .tls()
        .and_then(|t| t.server_name())
        .unwrap_or("-")
        .to_string();
    format!(
        "{} {} conn={} tls={} sni={sni}",
        req.method(),
        req.uri().path(),
        conn.id(),
        conn.is_tls()
    )
}

/// A handler answering with [`describe`] after reading the request body.
pub fn describe_handler() -> impl Handler {
    |conn: ConnInfo, req: http::Request<()>, body: Body| async move {
        body.drain().await?;
        Ok::<_, Error>(respond_string(StatusCode::OK, describe(&conn, &req)))
    }
}

/// Our server (with TLS if `config` says so) listening on `host:port` of the mock
/// network, answering with [`describe_handler`]. It runs until the world ends.
pub fn serve_on(sim: &Sim, host: &str, port: u16, config: ServerConfig) {
    let rt = sim.runtime();
    let addr = SocketAddr::new(sim.net().address_of(host), port);
    let listener = sim
        .block_on(rt.listen(Addr::Tcp(addr)))
        .expect("listen on the mock network");
    sim.spawn(async move {
        serve_listener(
            &rt,
            listener,
            describe_handler(),
            config,
            std::future::pending(),
        )
        .await
    });
}

/// A connection configuration whose context trusts `pki`'s CA only.
pub fn trusting(pki: &Pki) -> ConnectionConfig {
    ConnectionConfig::new().ctx(Ctx::new().with_tls(pki.client()))
}
