//! The server's TLS: a certificate chain and key from PEM, and the server-side handshake
//! over an accepted stream. Not the server loop: it calls [`TlsServer::accept`] on each
//! connection, within its own handshake timeout.
//!
//! ```no_run
//! use cohttp_core::tls::TlsServer;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let chain = std::fs::read("fullchain.pem")?;
//! let key = std::fs::read("privkey.pem")?;
//! let tls = TlsServer::from_pem(&chain, &key)?;
//! # let _ = tls;
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use futures_rustls::TlsAcceptor;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

use super::{config_error, handshake_error, provider, ALPN_HTTP11};
use crate::error::Result;
use crate::runtime::BoxTransport;

/// A server's TLS settings: its certificate chain and key. Cheap to clone.
///
/// Configurations built here use rustls's `ring` provider, TLS 1.2 and 1.3, no client
/// authentication, and accept ALPN `http/1.1` (a client offering ALPN without it is
/// refused; a client offering no ALPN is served).
#[derive(Clone)]
pub struct TlsServer {
    config: Arc<ServerConfig>,
}

/// What a finished server handshake negotiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    server_name: Option<String>,
    alpn: Option<Vec<u8>>,
}

impl TlsInfo {
    /// The host name the client asked for through SNI (none for a client that connected
    /// to an IP address).
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// The application protocol agreed through ALPN (`http/1.1`), if the client offered
    /// any.
    pub fn alpn(&self) -> Option<&[u8]> {
        self.alpn.as_deref()
    }
}

impl TlsServer {
    /// Settings from a PEM certificate chain (leaf first, then intermediates) and the
    /// leaf's private key in PEM (PKCS#8, PKCS#1 or SEC1).
    ///
    /// Fails with a [`TlsFailure::Config`](crate::TlsFailure::Config) error when the
    /// PEM cannot be read, holds no certificate or no key, or when the key does not
    /// match the certificate.
    pub fn from_pem(cert_chain_pem: &[u8], key_pem: &[u8]) -> Result<TlsServer> {
        let chain = CertificateDer::pem_slice_iter(cert_chain_pem)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| config_error("could not read the certificate chain PEM", e))?;
        if chain.is_empty() {
            return Err(config_error(
                "could not read the certificate chain PEM",
                "no CERTIFICATE block found",
            ));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|e| config_error("could not read the private key PEM", e))?;
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| config_error("could not build TLS settings", e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| config_error("could not use the certificate and key", e))?;
        config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
        Ok(TlsServer {
            config: Arc::new(config),
        })
    }

    /// Settings from a ready rustls configuration, used as given (set its
    /// `alpn_protocols` to `[b"http/1.1"]` for HTTP). For client authentication,
    /// certificates chosen by SNI and the like.
    pub fn from_config(config: Arc<ServerConfig>) -> TlsServer {
        TlsServer { config }
    }

    /// The rustls configuration in use.
    pub fn config(&self) -> &Arc<ServerConfig> {
        &self.config
    }

    /// Runs the server handshake over an accepted `stream` and returns the encrypted
    /// stream. No deadline of its own: the server bounds it with its handshake timeout.
    pub async fn accept(&self, stream: BoxTransport) -> Result<BoxTransport> {
        self.accept_with_info(stream).await.map(|(s, _)| s)
    }

    /// Like [`accept`](TlsServer::accept), and also says what was negotiated (the SNI
    /// name the client asked for, the ALPN protocol).
    pub async fn accept_with_info(&self, stream: BoxTransport) -> Result<(BoxTransport, TlsInfo)> {
        let stream = TlsAcceptor::from(self.config.clone())
            .accept(stream)
            .await
            .map_err(|e| handshake_error(e, "a client"))?;
        let (_, conn) = stream.get_ref();
        let info = TlsInfo {
            server_name: conn.server_name().map(str::to_string),
            alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
        };
        Ok((Box::new(stream), info))
    }
}

impl fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsServer")
            .field(
                "alpn",
                &self
                    .config
                    .alpn_protocols
                    .iter()
                    .map(|p| String::from_utf8_lossy(p))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
