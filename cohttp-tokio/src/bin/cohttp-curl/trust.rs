//! Which servers `cohttp-curl` trusts over `https`: the `webpki-roots` store by default,
//! only the certificates of a PEM bundle with `--cacert FILE`, or any certificate with
//! `-k`/`--insecure`.
//!
//! The result is a [`TlsClient`] that goes into the context of every connection the
//! run makes, so it applies alike to direct requests, pipelines, and `https` inside
//! `CONNECT` tunnels. This file builds settings only; the handshakes are
//! `cohttp_core::tls`'s.
//!
//! `--insecure` skips what curl's `-k` skips: the certificate chain, its dates and the
//! name in it are not checked. The handshake itself is still verified (the server must
//! sign it with the key of the certificate it presented), so the connection is
//! encrypted, but to a server nobody vouched for: anyone on the path can pose as it.

use std::sync::Arc;

use cohttp_core::tls::rustls::client::danger::{
    HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
};
use cohttp_core::tls::rustls::crypto::{self, CryptoProvider};
use cohttp_core::tls::rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use cohttp_core::tls::rustls::{self, ClientConfig, DigitallySignedStruct, SignatureScheme};
use cohttp_core::tls::{Roots, TlsClient, ALPN_HTTP11};

use crate::failure::Failure;

/// curl's exit status for a CA bundle it cannot use ("problem with reading the SSL CA
/// cert").
const BAD_CA_FILE: u8 = 77;

/// The TLS settings for `--cacert` and `--insecure`; `None` when neither is given (the
/// client's default, `webpki-roots`, applies).
pub fn tls_client(cacert: Option<&str>, insecure: bool) -> Result<Option<TlsClient>, Failure> {
    if insecure {
        // As with curl, `-k` wins over `--cacert`: nothing is verified.
        return insecure_client().map(Some);
    }
    let Some(path) = cacert else {
        return Ok(None);
    };
    let pem = std::fs::read(path)
        .map_err(|e| Failure::new(BAD_CA_FILE, format!("cannot read CA file {path}: {e}")))?;
    TlsClient::with_roots(Roots::Pem(pem))
        .map(Some)
        .map_err(|e| Failure::new(BAD_CA_FILE, format!("CA file {path}: {e}")))
}

/// Settings that accept any certificate (see the module docs).
fn insecure_client() -> Result<TlsClient, Failure> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(AnyCertificate {
        provider: provider.clone(),
    });
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Failure::new(35, format!("could not build TLS settings: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    config.alpn_protocols = vec![ALPN_HTTP11.to_vec()];
    Ok(TlsClient::from_config(Arc::new(config)))
}

/// A verifier that takes any certificate as valid for any name, but still checks that
/// the handshake is signed by the presented certificate's key.
#[derive(Debug)]
struct AnyCertificate {
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_option_keeps_the_default_roots() {
        assert!(tls_client(None, false).unwrap().is_none());
    }

    #[test]
    fn a_missing_or_empty_ca_file_exits_77() {
        let e = tls_client(Some("/nonexistent/ca.pem"), false).unwrap_err();
        assert_eq!(e.code, 77);
        assert!(e.message.contains("/nonexistent/ca.pem"), "{}", e.message);
        let empty =
            std::env::temp_dir().join(format!("cohttp-curl-empty-{}.pem", std::process::id()));
        std::fs::write(&empty, "no certificate here\n").unwrap();
        let e = tls_client(empty.to_str(), false).unwrap_err();
        let _ = std::fs::remove_file(&empty);
        assert_eq!(e.code, 77);
        assert!(e.message.contains("no CERTIFICATE block"), "{}", e.message);
    }

    #[test]
    fn insecure_settings_offer_http11_and_accept_any_name() {
        let tls = tls_client(None, true).unwrap().unwrap();
        assert_eq!(tls.config().alpn_protocols, [ALPN_HTTP11.to_vec()]);
        let verifier = AnyCertificate {
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        };
        let name = ServerName::try_from("anything.invalid").unwrap();
        assert!(verifier
            .verify_server_cert(
                &CertificateDer::from(vec![0u8]),
                &[],
                &name,
                &[],
                UnixTime::now()
            )
            .is_ok());
        assert!(!verifier.supported_verify_schemes().is_empty());
    }
}
