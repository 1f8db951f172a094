//! The README's ten-line client on tokio.
#[tokio::main]
async fn main() -> cohttp_core::Result<()> {
    let client = cohttp_tokio::client();
    let url = std::env::args()
        .nth(1)
        .unwrap_or("http://127.0.0.1:8080/world".into());
    let response = client.get(url.as_str()).await?;
    let status = response.status();
    let body = response.into_body().to_string().await?;
    println!("{status}\n{body}");
    Ok(())
}
