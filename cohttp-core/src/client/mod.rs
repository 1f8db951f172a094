//! The client side: connections, connection caches, proxies.

mod no_proxy;
mod proxy_config;

pub use no_proxy::NoProxy;
pub use proxy_config::{ProxyConfig, ProxyServer, DEFAULT_PROXY_PORT};
