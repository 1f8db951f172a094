//! TLS for the client and the server (feature `tls`), written once over `futures-io`
//! with [`rustls`] (on its `ring` provider) through `futures-rustls`.
//!
//! TLS here is a wrapper around any already-open [`BoxTransport`]: a TCP stream, a Unix
//! socket, an in-memory mock stream, or a CONNECT tunnel through a proxy. It knows
//! nothing of HTTP beyond offering and accepting the ALPN protocol `http/1.1`.
//!
//! - Client: a [`TlsClient`] holds the settings (trusted roots, see [`Roots`]); it
//!   travels in the [`Ctx`](crate::runtime::Ctx) (`Ctx::with_tls`). For an `https` URI,
//!   the client connects and runs [`connect`] with the URI's host as the server name
//!   (what [`Runtime::connect_tls`](crate::Runtime::connect_tls) does), within its
//!   connect timeout. Through a CONNECT tunnel, it opens the tunnel to the
//!   proxy, reads the `2xx`, then calls [`connect`] on the tunnel stream with the
//!   origin's host and `ctx.tls_client()`: TLS then runs end to end to the origin.
//! - Server: a [`TlsServer`] built from a certificate chain and key in PEM
//!   ([`TlsServer::from_pem`]); the server loop calls [`TlsServer::accept`] on each
//!   accepted stream (`ServerConfig::tls` has the server do so, bounded by its header
//!   read timeout). **A handshake timeout is the server's job**: wrap `accept` in
//!   [`Runtime::timeout`](crate::Runtime::timeout), or a peer that opens a connection and
//!   says nothing holds it forever. Likewise a client bounds [`connect`] with its
//!   connect timeout.
//!
//! # The server name
//!
//! The name given to [`connect`] is sent as SNI and is what the certificate is verified
//! against. A DNS name is sent as is; an IP literal (`127.0.0.1`, `[::1]` or `::1`)
//! sends no SNI (RFC 6066 forbids it) and the certificate must name that IP address.
//!
//! # Stream semantics
//!
//! The TLS stream keeps the [`Transport`](crate::runtime::Transport) contract:
//!
//! - `poll_close` sends a TLS `close_notify` alert, flushes it, and then calls
//!   `poll_close` on the underlying transport, which half-closes its write side. The read
//!   side stays open: the peer's answer can still be read after our close. (This is what
//!   `futures-rustls` does; rustls allows reading after sending `close_notify`.)
//! - A read returns `Ok(0)` once the peer's `close_notify` arrived. A peer that ends the
//!   underlying stream *without* `close_notify` makes the read fail with
//!   `io::ErrorKind::UnexpectedEof`: a truncation that an attacker could cause is never
//!   reported as a clean end. HTTP framing decides whether that is an error for the body
//!   being read.
//! - Dropping the stream drops the transport, closing both sides without `close_notify`.
//!
//! # Errors
//!
//! A failed handshake is an [`Error`] of kind [`ErrorKind::Tls`] that says why
//! ([`TlsFailure::UntrustedCertificate`], [`TlsFailure::NameMismatch`], ...) with the
//! peer in its context: `TLS handshake with example.com failed: TLS: certificate not
//! trusted: invalid peer certificate: UnknownIssuer`. A handshake cut by an I/O error
//! keeps the I/O kind (and the same context).
//!
//! # Example: a client and a server over any pair of streams
//!
//! ```no_run
//! use cohttp_core::runtime::BoxTransport;
//! use cohttp_core::tls::{self, Roots, TlsClient, TlsServer};
//! use futures_util::io::{AsyncReadExt, AsyncWriteExt};
//!
//! async fn demo(
//!     client_side: BoxTransport,
//!     server_side: BoxTransport,
//!     ca_pem: &[u8],
//!     chain_pem: &[u8],
//!     key_pem: &[u8],
//! ) -> cohttp_core::Result<()> {
//!     let server = TlsServer::from_pem(chain_pem, key_pem)?;
//!     let client = TlsClient::with_roots(Roots::Pem(ca_pem.to_vec()))?;
//!     let (c, s) = futures_util::join!(
//!         tls::connect(client_side, "localhost", &client),
//!         server.accept(server_side),
//!     );
//!     let (mut c, mut s) = (c?, s?);
//!     c.write_all(b"ping").await?;
//!     c.flush().await?;
//!     let mut buf = [0; 4];
//!     s.read_exact(&mut buf).await?;
//!     assert_eq!(&buf, b"ping");
//!     Ok(())
//! }
//! ```

mod client;
mod server;

use std::io;
use std::net::IpAddr;

use rustls::pki_types::{DnsName, ServerName};

use crate::error::{Error, ErrorKind, Result, TlsFailure};
use crate::runtime::BoxTransport;

pub use client::{Roots, TlsClient};
pub use server::{TlsInfo, TlsServer};

/// The `rustls` this module is built on, for [`TlsClient::from_config`] and
/// [`TlsServer::from_config`].
pub use rustls;

/// The one application protocol offered and accepted through ALPN.
pub const ALPN_HTTP11: &[u8] = b"http/1.1";

/// Runs a client TLS handshake over `stream` and returns the encrypted stream.
///
/// `server_name` is the host the request is for (the URI's host, not a proxy's): it is
/// sent as SNI (unless it is an IP literal) and the server's certificate is verified
/// against it with the roots of `tls`. The stream can be anything already open, a CONNECT
/// tunnel included. The handshake has no deadline of its own: bound it with
/// [`Runtime::timeout`](crate::Runtime::timeout).
pub async fn connect(
    stream: BoxTransport,
    server_name: &str,
    tls: &TlsClient,
) -> Result<BoxTransport> {
    let name = parse_server_name(server_name)?;
    let stream = tls
        .connector()
        .connect(name, stream)
        .await
        .map_err(|e| handshake_error(e, server_name))?;
    Ok(Box::new(stream))
}

/// Turns a URI host into the name rustls verifies: an IP address (brackets allowed
/// around IPv6) or a DNS name.
fn parse_server_name(host: &str) -> Result<ServerName<'static>> {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    DnsName::try_from(bare.to_string())
        .map(ServerName::DnsName)
        .map_err(|e| {
            Error::new(ErrorKind::Tls(TlsFailure::InvalidServerName))
                .with_context(format!("TLS handshake with {host} failed"))
                .with_source(e.to_string())
        })
}

/// The error for a failed handshake with `peer`: a TLS kind saying why when rustls
/// refused, the I/O kind when the transport failed.
fn handshake_error(e: io::Error, peer: &str) -> Error {
    let context = format!("TLS handshake with {peer} failed");
    let failure = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map(classify);
    match failure {
        Some(f) => Error::new(ErrorKind::Tls(f))
            .with_context(context)
            .with_source(e),
        None => {
            // An I/O error's context is all its Display shows: say the cause in it.
            let context = format!("{context}: {e}");
            Error::from(e).with_context(context)
        }
    }
}

/// What a rustls error means for the caller.
fn classify(e: &rustls::Error) -> TlsFailure {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => TlsFailure::UntrustedCertificate,
            C::NotValidForName | C::NotValidForNameContext { .. } => TlsFailure::NameMismatch,
            C::Expired
            | C::ExpiredContext { .. }
            | C::NotValidYet
            | C::NotValidYetContext { .. } => TlsFailure::CertificateExpired,
            _ => TlsFailure::InvalidCertificate,
        },
        rustls::Error::NoCertificatesPresented => TlsFailure::InvalidCertificate,
        rustls::Error::AlertReceived(_) => TlsFailure::PeerAlert,
        _ => TlsFailure::Handshake,
    }
}

/// A TLS configuration error (bad PEM, mismatched key...), with what was being built.
fn config_error(what: &str, source: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Tls(TlsFailure::Config))
        .with_context(what.to_string())
        .with_source(source.to_string())
}

/// The `ring` crypto provider: the only one this crate builds with.
fn provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    std::sync::Arc::new(rustls::crypto::ring::default_provider())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_from_uri_hosts() {
        assert!(matches!(
            parse_server_name("example.com"),
            Ok(ServerName::DnsName(d)) if d.as_ref() == "example.com"
        ));
        assert!(matches!(
            parse_server_name("127.0.0.1"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            parse_server_name("[::1]"),
            Ok(ServerName::IpAddress(_))
        ));
        assert!(matches!(
            parse_server_name("::1"),
            Ok(ServerName::IpAddress(_))
        ));
        let e = parse_server_name("bad name!").err();
        assert!(matches!(
            e.as_ref().map(Error::kind),
            Some(ErrorKind::Tls(TlsFailure::InvalidServerName))
        ));
    }

    #[test]
    fn rustls_errors_are_classified() {
        use rustls::CertificateError as C;
        assert_eq!(
            classify(&rustls::Error::InvalidCertificate(C::UnknownIssuer)),
            TlsFailure::UntrustedCertificate
        );
        assert_eq!(
            classify(&rustls::Error::InvalidCertificate(C::NotValidForName)),
            TlsFailure::NameMismatch
        );
        assert_eq!(
            classify(&rustls::Error::InvalidCertificate(C::Expired)),
            TlsFailure::CertificateExpired
        );
        assert_eq!(
            classify(&rustls::Error::AlertReceived(
                rustls::AlertDescription::UnknownCA
            )),
            TlsFailure::PeerAlert
        );
        assert_eq!(
            classify(&rustls::Error::HandshakeNotComplete),
            TlsFailure::Handshake
        );
    }

    #[test]
    fn io_failures_keep_their_kind() {
        let e = handshake_error(io::Error::from(io::ErrorKind::UnexpectedEof), "a.test");
        assert!(matches!(e.kind(), ErrorKind::Io));
        assert!(e
            .to_string()
            .starts_with("TLS handshake with a.test failed: "));
    }
}
