//! The server's TLS handshake on an accepted connection, when
//! [`ServerConfig::tls`](crate::server::ServerConfig::tls) is set: run in the
//! connection's own task, bounded by the header read timeout, its failures logged at
//! `debug` level. Not the TLS itself (`crate::tls`) nor the HTTP that follows
//! (`conn.rs`).

use crate::runtime::{BoxTransport, Runtime};
use crate::server::config::ServerConfig;
use crate::server::handler::ConnInfo;

/// The stream to speak HTTP over and the connection's information: after a TLS
/// handshake when the server serves HTTPS, the accepted stream as it is otherwise.
/// `None` when the handshake failed or timed out: the connection is dropped.
pub(crate) async fn start(
    rt: &Runtime,
    io: BoxTransport,
    info: ConnInfo,
    config: &ServerConfig,
) -> Option<(BoxTransport, ConnInfo)> {
    #[cfg(feature = "tls")]
    if let Some(tls) = &config.tls {
        let handshake = tls.accept_with_info(io);
        return match rt.timeout(config.header_read_timeout, handshake).await {
            Ok(Ok((io, negotiated))) => {
                let info = info.with_tls(negotiated);
                log::trace!("{info:?}: TLS handshake done");
                Some((io, info))
            }
            Ok(Err(e)) => {
                log::debug!("{info:?}: {e}");
                None
            }
            Err(_) => {
                log::debug!(
                    "{info:?}: TLS handshake not done within {:?}; closing",
                    config.header_read_timeout
                );
                None
            }
        };
    }
    let _ = (rt, config);
    Some((io, info))
}
