//! The HTTP/1.1 wire format, sans I/O: bytes in, parsed values and bytes out.
//!
//! Nothing here is `async` or reads a clock; the client and the server drive it from
//! their read buffers. Split by concern, as hyper's `proto/h1`:
//!
//! - [`limits`]: the configurable bounds on what a peer may send;
//! - [`parse`]: request and response heads (RFC 9112 §2–5) and the message body length
//!   (§6.3), strict by default;
//! - [`decode`]: body decoding — fixed length, chunked with extensions and trailers
//!   (§7.1), close-delimited;
//! - [`encode`]: body framing for the wire;
//! - [`write`](mod@write): request and response heads for the wire;
//! - [`io`]: the few buffer helpers over `futures-io` that both roles share.
//!
//! ```
//! use cohttp_core::h1::{parse_request, Limits, BodyLength};
//!
//! let parsed = parse_request(b"GET /a?b HTTP/1.1\r\nHost: x\r\n\r\n", &Limits::default())
//!     .unwrap()
//!     .expect("a complete head");
//! assert_eq!(parsed.head.uri(), "/a?b");
//! assert_eq!(parsed.body, BodyLength::Fixed(0));
//! assert!(parsed.keep_alive);
//! ```

pub mod decode;
pub mod encode;
pub mod io;
pub mod limits;
pub mod parse;
pub(crate) mod recent;
mod request_head;
pub mod write;

pub use decode::{Decoded, Decoder};
pub use encode::Encoder;
pub use limits::Limits;
pub use parse::{
    connection_has, parse_request, parse_response, response_body_length, take_request,
    take_response, BodyLength, ParsedRequest, ParsedResponse, RawTarget,
};
pub(crate) use write::write_request_head_with_host;
pub use write::{write_request_head, write_response_head, write_response_head_with};
