//! The client's TLS settings: which roots to trust, and the rustls configuration built
//! from them. The handshake itself is [`super::connect`].
//!
//! ```
//! use cohttp_core::runtime::Ctx;
//! use cohttp_core::tls::{Roots, TlsClient};
//!
//! // The default: the Mozilla roots shipped in `webpki-roots`.
//! let ctx = Ctx::new().with_tls(TlsClient::new());
//! assert!(format!("{ctx:?}").contains("webpki-roots"));
//! // Or the platform's store: `TlsClient::with_roots(Roots::Native)`.
//! # let _ = Roots::Native;
//! ```

use std::fmt;
use std::sync::{Arc, OnceLock};

use futures_rustls::TlsConnector;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use super::{config_error, provider, ALPN_HTTP11};
use crate::error::Result;

/// Which certificate authorities a client trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Roots {
    /// The Mozilla root store compiled in through `webpki-roots` (the default): the same
    /// on every machine, updated with the crate.
    WebPki,
    /// The platform's store, loaded through `rustls-native-certs` (on Linux, the
    /// OpenSSL-style bundle; `SSL_CERT_FILE` and `SSL_CERT_DIR` are honoured).
    Native,
    /// Only the certificates in this PEM text (a private CA, or a test's).
    Pem(Vec<u8>),
}

/// A client's TLS settings: cheap to clone (an `Arc` inside).
///
/// Every configuration built here uses rustls's `ring` provider, its safe default
/// protocol versions (TLS 1.2 and 1.3), and offers ALPN `http/1.1` only.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    roots: Arc<str>,
}

impl TlsClient {
    /// Settings trusting the `webpki-roots` store (see [`Roots::WebPki`]).
    pub fn new() -> TlsClient {
        let store: RootCertStore = webpki_roots::TLS_SERVER_ROOTS.iter().cloned().collect();
        let n = store.len();
        // No input reaches this: `ring` supports every default protocol version, so
        // building a configuration from a valid store cannot fail.
        let config = build(store).expect("rustls on ring supports its default versions");
        TlsClient {
            config,
            roots: format!("webpki-roots ({n} roots)").into(),
        }
    }

    /// Settings trusting `roots`. Fails with a [`TlsFailure::Config`]
    /// error when the PEM text holds no usable certificate, or when the platform store
    /// cannot be read or is empty.
    ///
    /// [`TlsFailure::Config`]: crate::TlsFailure::Config
    pub fn with_roots(roots: Roots) -> Result<TlsClient> {
        let (store, what) = match roots {
            Roots::WebPki => return Ok(TlsClient::new()),
            Roots::Native => {
                let found = rustls_native_certs::load_native_certs();
                let mut store = RootCertStore::empty();
                let (added, _ignored) = store.add_parsable_certificates(found.certs);
                if added == 0 {
                    let why = match found.errors.first() {
                        Some(e) => e.to_string(),
                        None => "the store is empty".to_string(),
                    };
                    return Err(config_error(
                        "could not load the platform's root store",
                        why,
                    ));
                }
                if let Some(first) = found.errors.first() {
                    log::debug!(
                        "platform root store: {added} roots loaded, {} errors (first: {first})",
                        found.errors.len(),
                    );
                }
                (store, format!("native ({added} roots)"))
            }
            Roots::Pem(pem) => {
                let mut store = RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(&pem) {
                    let cert =
                        cert.map_err(|e| config_error("could not read root certificates PEM", e))?;
                    store
                        .add(cert)
                        .map_err(|e| config_error("could not use a root certificate", e))?;
                }
                if store.is_empty() {
                    return Err(config_error(
                        "could not read root certificates PEM",
                        "no CERTIFICATE block found",
                    ));
                }
                let n = store.len();
                (store, format!("custom PEM ({n} roots)"))
            }
        };
        let config = build(store).map_err(|e| config_error("could not build TLS settings", e))?;
        Ok(TlsClient {
            config,
            roots: what.into(),
        })
    }

    /// Settings from a ready rustls configuration, used as given (set its
    /// `alpn_protocols` to `[b"http/1.1"]` for HTTP). For client certificates, custom
    /// verifiers and the like.
    pub fn from_config(config: Arc<ClientConfig>) -> TlsClient {
        TlsClient {
            config,
            roots: "custom rustls configuration".into(),
        }
    }

    /// The rustls configuration in use.
    pub fn config(&self) -> &Arc<ClientConfig> {
        &self.config
    }

    /// The shared default settings ([`TlsClient::new`]), built once per process.
    pub fn shared_default() -> &'static TlsClient {
        static DEFAULT: OnceLock<TlsClient> = OnceLock::new();
        DEFAULT.get_or_init(TlsClient::new)
    }

    pub(super) fn connector(&self) -> TlsConnector {
        TlsConnector::from(self.config.clone())
    }
}

impl Default for TlsClient {
    fn default() -> TlsClient {
        TlsClient::shared_default().clone()
    }
}

impl fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsClient")
            .field("roots", &self.roots)
            .field(
                "alpn",
                &self
                    .config
                    .alpn_protocols
                    .iter()
                    .map(|p| String::from_utf8_lossy(p))
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// A client configuration on `ring` trusting `store`, offering ALPN `http/1.1`.
fn build(store: RootCertStore) -> std::result::Result<Arc<ClientConfig>, rustls::Error> {
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(store)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(Arc::new(config))
}
