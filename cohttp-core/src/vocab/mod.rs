//! The HTTP vocabulary beyond the `http` crate: cookies, basic authentication,
//! content negotiation (`Accept*`), `Link` headers and HTTP dates.
//!
//! Each module parses and writes one kind of field value, by today's RFCs:
//!
//! - [`cookie`]: `Set-Cookie` and `Cookie` (RFC 6265bis);
//! - [`auth`]: `Authorization: Basic` credentials (RFC 7617) and `WWW-Authenticate` /
//!   `Proxy-Authenticate` challenges (RFC 9110 §11);
//! - [`accept`]: `Accept`, `Accept-Charset`, `Accept-Encoding`, `Accept-Language` with
//!   q-values, and picking the best of a server's offers (RFC 9110 §12);
//! - [`link`]: the `Link` field (RFC 8288, with RFC 8187 extended values);
//! - [`date`]: HTTP-dates (RFC 9110 §5.6.7).
//!
//! Every parser returns a typed [`Error`](crate::Error) on bad input
//! ([`ErrorKind::Decode`](crate::ErrorKind::Decode)) and never panics; every writer
//! refuses a value the grammar cannot carry
//! ([`Malformed::InvalidUserHeader`](crate::Malformed::InvalidUserHeader)) rather than
//! emit a broken field.
//!
//! Status classes are not here: `http::StatusCode` already has `is_informational`,
//! `is_success`, `is_redirection`, `is_client_error` and `is_server_error`.

pub mod accept;
pub mod auth;
pub mod cookie;
pub mod date;
pub mod link;
pub(crate) mod syntax;

pub use accept::{
    media_type_quality, negotiate_charset, negotiate_encoding, negotiate_language,
    negotiate_media_type, parse_accept, parse_accept_charset, parse_accept_encoding,
    parse_accept_language, serialize_accept, serialize_weighted, MediaRange, QValue, Weighted,
};
pub use auth::{challenges, parse_challenges, serialize_challenges, BasicCredentials, Challenge};
pub use cookie::{
    add_cookies, cookies, parse_cookie_header, serialize_cookie_header, set_cookies, SameSite,
    SetCookie,
};
pub use link::{links, parse_links, serialize_links, ExtValue, Link};
