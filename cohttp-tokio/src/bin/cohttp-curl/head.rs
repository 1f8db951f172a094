//! Message heads as `cohttp-curl` prints them: the response head for `-i`/`-I` (as it
//! came, CRLF line ends), and both heads for `-v` with curl's `> ` and `< ` prefixes.
//!
//! Header names are printed in the lower case the `http` crate keeps them in.

use http::{HeaderMap, Method, Response, Version};

fn version(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

fn header_lines(headers: &HeaderMap, prefix: &str, out: &mut Vec<u8>) {
    for (name, value) in headers {
        out.extend_from_slice(prefix.as_bytes());
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

/// The status line and headers of `res`, then an empty line, each prefixed with
/// `prefix` (`""` for `-i`, `"< "` for `-v`).
pub fn response<B>(res: &Response<B>, prefix: &str) -> Vec<u8> {
    let status = res.status();
    let mut out = format!(
        "{prefix}{} {}{}\r\n",
        version(res.version()),
        status.as_str(),
        status
            .canonical_reason()
            .map(|r| format!(" {r}"))
            .unwrap_or_default()
    )
    .into_bytes();
    header_lines(res.headers(), prefix, &mut out);
    out.extend_from_slice(prefix.trim_end().as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

/// The request line (with `target` as it goes on the wire) and headers, `> `-prefixed.
pub fn request(method: &Method, target: &str, headers: &HeaderMap) -> Vec<u8> {
    let mut out = format!("> {method} {target} HTTP/1.1\r\n").into_bytes();
    header_lines(headers, "> ", &mut out);
    out.extend_from_slice(b">\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_head_as_curl_prints_it() {
        let res = Response::builder()
            .status(404)
            .header("content-length", "3")
            .body(())
            .unwrap();
        assert_eq!(
            response(&res, ""),
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 3\r\n\r\n"
        );
        assert_eq!(
            response(&res, "< "),
            b"< HTTP/1.1 404 Not Found\r\n< content-length: 3\r\n<\r\n"
        );
    }

    #[test]
    fn request_head_is_prefixed() {
        let mut h = HeaderMap::new();
        h.insert("host", "a.test".parse().unwrap());
        assert_eq!(
            request(&Method::GET, "/x", &h),
            b"> GET /x HTTP/1.1\r\n> host: a.test\r\n>\r\n"
        );
    }
}
