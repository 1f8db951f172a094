//! The README's ten-line server on tokio.
use cohttp_core::server::{respond_string, ConnInfo, ServerConfig};
use cohttp_core::{Body, Error};
use http::{Request, StatusCode};

#[tokio::main]
async fn main() -> cohttp_core::Result<()> {
    let hello = |_: ConnInfo, req: Request<()>, _: Body| async move {
        Ok::<_, Error>(respond_string(
            StatusCode::OK,
            format!("Hello, {}!\n", req.uri().path()),
        ))
    };
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 8080)).into();
    cohttp_tokio::serve(
        addr,
        hello,
        ServerConfig::default(),
        cohttp_tokio::shutdown_signal(),
    )
    .await
}
