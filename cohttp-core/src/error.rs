//! The crate's one error type, [`Error`], and its distinguishable kinds.
//!
//! Every fallible public function of `cohttp-core` returns [`Error`]. Match on
//! [`Error::kind`] to decide what to do: a [`ErrorKind::Retry`] may be sent again
//! on a new connection, a [`ErrorKind::Malformed`] or [`ErrorKind::Limit`] carries
//! the status a server answers with ([`Error::status`]), and so on.
//!
//! ```
//! use cohttp_core::{Error, ErrorKind};
//!
//! let e = Error::retry(false);
//! assert!(matches!(e.kind(), ErrorKind::Retry { written: false }));
//! assert!(e.is_retry());
//! ```

use std::fmt;
use std::io;

use http::StatusCode;

/// A limit of the wire format that a message went past.
///
/// Each limit maps to the status a server answers with (see [`Limit::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// The request line was longer than allowed (answered with 414).
    RequestLine,
    /// The status line was longer than allowed.
    StatusLine,
    /// More header fields than allowed (431).
    HeaderCount,
    /// The header section was larger than allowed (431).
    HeaderBytes,
    /// A chunk extension was longer than allowed (400).
    ChunkExtension,
    /// The trailer section was larger than allowed (431).
    TrailerBytes,
    /// The body was larger than allowed (413).
    BodyBytes,
    /// More connections than allowed.
    Connections,
}

impl Limit {
    /// The status a server answers with when a request goes past this limit.
    pub fn status(self) -> StatusCode {
        match self {
            Limit::RequestLine => StatusCode::URI_TOO_LONG,
            Limit::HeaderCount | Limit::HeaderBytes | Limit::TrailerBytes => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            Limit::BodyBytes => StatusCode::PAYLOAD_TOO_LARGE,
            Limit::Connections => StatusCode::SERVICE_UNAVAILABLE,
            Limit::StatusLine | Limit::ChunkExtension => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::RequestLine => "request line too long",
            Limit::StatusLine => "status line too long",
            Limit::HeaderCount => "too many header fields",
            Limit::HeaderBytes => "header section too large",
            Limit::ChunkExtension => "chunk extension too long",
            Limit::TrailerBytes => "trailer section too large",
            Limit::BodyBytes => "body too large",
            Limit::Connections => "too many connections",
        })
    }
}

/// Why a message could not be parsed.
///
/// Each reason maps to the status a server answers with (see [`Malformed::status`]):
/// most are 400, an unknown transfer coding is 501 and an unsupported version 505.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Malformed {
    /// A bare CR or a bare LF used as a line end, or a CR anywhere else it may not be.
    BareLineEnd,
    /// The request line or status line is not of the right form.
    StartLine,
    /// The method is not a token.
    Method,
    /// The request target is not of a form allowed for the method.
    Target,
    /// The HTTP version is not `HTTP/1.0` or `HTTP/1.1`, but well-formed.
    UnsupportedVersion,
    /// The HTTP version is not of the form `HTTP/D.D`.
    Version,
    /// The status code is not three digits.
    Status,
    /// A field name is not a token, or has whitespace before its colon.
    HeaderName,
    /// A field value holds a character it may not.
    HeaderValue,
    /// A field line continued onto the next line (obs-fold).
    ObsFold,
    /// `Content-Length` is not a decimal number, or there are several that differ.
    ContentLength,
    /// Both `Content-Length` and `Transfer-Encoding` are present.
    ContentLengthWithTransferEncoding,
    /// `Transfer-Encoding` is malformed, or chunked is not its final coding in a request.
    TransferEncoding,
    /// A transfer coding that is not implemented (answered with 501).
    UnknownTransferCoding,
    /// `Host` missing from an HTTP/1.1 request, duplicated, or invalid.
    Host,
    /// A chunk size that is not hexadecimal, or overflows.
    ChunkSize,
    /// A chunk extension that is not well-formed.
    ChunkExtension,
    /// Chunk data not followed by CRLF.
    ChunkEnd,
    /// A trailer section that is not well-formed.
    Trailer,
    /// The peer closed the connection inside a body (fixed-length or chunked).
    TruncatedBody,
    /// The peer closed the connection inside a message head.
    TruncatedHead,
    /// A response that answers no request.
    UnexpectedResponse,
    /// A header given by the user that cannot be sent (CR, LF or NUL in a value, say).
    InvalidUserHeader,
    /// A URI given by the user that cannot be requested.
    InvalidUri,
}

impl Malformed {
    /// The status a server answers with when a request is malformed this way.
    pub fn status(self) -> StatusCode {
        match self {
            Malformed::UnknownTransferCoding => StatusCode::NOT_IMPLEMENTED,
            Malformed::UnsupportedVersion => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Malformed::BareLineEnd => "bare CR or LF as a line end",
            Malformed::StartLine => "malformed start line",
            Malformed::Method => "invalid method",
            Malformed::Target => "invalid request target",
            Malformed::UnsupportedVersion => "unsupported HTTP version",
            Malformed::Version => "invalid HTTP version",
            Malformed::Status => "invalid status code",
            Malformed::HeaderName => "invalid header field name",
            Malformed::HeaderValue => "invalid header field value",
            Malformed::ObsFold => "obsolete line folding in a header field",
            Malformed::ContentLength => "invalid Content-Length",
            Malformed::ContentLengthWithTransferEncoding => {
                "both Content-Length and Transfer-Encoding"
            }
            Malformed::TransferEncoding => "invalid Transfer-Encoding",
            Malformed::UnknownTransferCoding => "transfer coding not implemented",
            Malformed::Host => "missing, duplicate or invalid Host",
            Malformed::ChunkSize => "invalid chunk size",
            Malformed::ChunkExtension => "invalid chunk extension",
            Malformed::ChunkEnd => "chunk data not followed by CRLF",
            Malformed::Trailer => "invalid trailer section",
            Malformed::TruncatedBody => "connection closed inside a body",
            Malformed::TruncatedHead => "connection closed inside a message head",
            Malformed::UnexpectedResponse => "response with no request",
            Malformed::InvalidUserHeader => "header cannot be sent",
            Malformed::InvalidUri => "URI cannot be requested",
        })
    }
}

/// Why a TLS handshake or TLS setup failed (see [`ErrorKind::Tls`]).
///
/// The kind exists whether or not the `tls` feature is on, so that matches on
/// [`ErrorKind`] do not change with the feature set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The peer's certificate does not chain to a trusted root.
    UntrustedCertificate,
    /// The peer's certificate is valid, but not for the name (or IP address) asked for.
    NameMismatch,
    /// The peer's certificate has expired or is not valid yet.
    CertificateExpired,
    /// The peer's certificate is unusable for another reason (bad encoding, revoked, ...).
    InvalidCertificate,
    /// The peer aborted the handshake with an alert (it rejected our certificate, say).
    PeerAlert,
    /// The handshake broke the protocol, or the two sides share no version, cipher
    /// suite or application protocol.
    Handshake,
    /// The name to verify the server against is neither a DNS name nor an IP address.
    InvalidServerName,
    /// A TLS setting could not be built: unreadable PEM, no certificate, a key that does
    /// not match the certificate, an empty root store.
    Config,
    /// TLS was needed (an `https` URI, a TLS server) but this build has no TLS: the
    /// `tls` feature of `cohttp-core` is off.
    Unavailable,
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsFailure::UntrustedCertificate => "certificate not trusted",
            TlsFailure::NameMismatch => "certificate not valid for this name",
            TlsFailure::CertificateExpired => "certificate expired or not yet valid",
            TlsFailure::InvalidCertificate => "invalid certificate",
            TlsFailure::PeerAlert => "peer aborted the handshake",
            TlsFailure::Handshake => "handshake failed",
            TlsFailure::InvalidServerName => "invalid server name",
            TlsFailure::Config => "invalid TLS configuration",
            TlsFailure::Unavailable => "not available in this build (feature `tls` is off)",
        })
    }
}

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The connection closed gracefully, or was aborted by the peer (reset, broken pipe),
    /// before the response began: the request may be sent again on a new connection. `written` says whether any of its bytes went out
    /// (RFC 9112 §9.3.1: a request that was written is retried automatically only when
    /// its method is idempotent).
    Retry {
        /// Whether bytes of the request had been written to the connection.
        written: bool,
    },
    /// An I/O error from the transport.
    Io,
    /// A message that breaks the wire format.
    Malformed(Malformed),
    /// A message that goes past a configured limit.
    Limit(Limit),
    /// A timeout expired (connect, response head, total, header read, idle...).
    Timeout,
    /// The connection was closed by [`close`](crate) while the request was in flight:
    /// it may or may not have been processed.
    Closed,
    /// A CONNECT tunnel or proxy answered with a non-success status.
    Proxy(StatusCode),
    /// A handler failed; the server answers 500.
    Handler,
    /// A wrong use of the API (a request with a body the connection cannot frame, say).
    Usage,
    /// Content that could not be decoded as asked (a body that is not UTF-8, say).
    Decode,
    /// A TLS handshake failed, or TLS settings could not be built.
    Tls(TlsFailure),
}

/// The error of every fallible operation in `cohttp-core`.
///
/// Cloning is not offered; an error that must reach several waiters is recreated with
/// the same kind. The optional source is the underlying cause (an [`io::Error`], say).
pub struct Error {
    kind: ErrorKind,
    context: Option<Box<str>>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    /// An error of this kind, with no source.
    pub fn new(kind: ErrorKind) -> Error {
        Error {
            kind,
            context: None,
            source: None,
        }
    }

    /// The retry error: the connection closed before the response began.
    pub fn retry(written: bool) -> Error {
        Error::new(ErrorKind::Retry { written })
    }

    /// A malformed-message error.
    pub fn malformed(reason: Malformed) -> Error {
        Error::new(ErrorKind::Malformed(reason))
    }

    /// A limit-exceeded error.
    pub fn limit(limit: Limit) -> Error {
        Error::new(ErrorKind::Limit(limit))
    }

    /// A timeout error.
    pub fn timeout() -> Error {
        Error::new(ErrorKind::Timeout)
    }

    /// The closed error: the connection was closed while the request was in flight.
    pub fn closed() -> Error {
        Error::new(ErrorKind::Closed)
    }

    /// A usage error, with what was wrong.
    pub fn usage(what: impl Into<String>) -> Error {
        Error::new(ErrorKind::Usage).with_context(what)
    }

    /// Adds a human-readable context (shown before the kind in `Display`).
    pub fn with_context(mut self, context: impl Into<String>) -> Error {
        self.context = Some(context.into().into_boxed_str());
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Error {
        self.source = Some(source.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// Whether this is the retry error (see [`ErrorKind::Retry`]).
    pub fn is_retry(&self) -> bool {
        matches!(self.kind, ErrorKind::Retry { .. })
    }

    /// Whether this is a timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, ErrorKind::Timeout)
    }

    /// The status a server answers with for this error, where there is one
    /// (malformed requests, limits, handler failures).
    pub fn status(&self) -> Option<StatusCode> {
        match &self.kind {
            ErrorKind::Malformed(m) => Some(m.status()),
            ErrorKind::Limit(l) => Some(l.status()),
            ErrorKind::Handler => Some(StatusCode::INTERNAL_SERVER_ERROR),
            ErrorKind::Timeout => Some(StatusCode::REQUEST_TIMEOUT),
            _ => None,
        }
    }

    /// A copy with the same kind and context; the source is kept as text only.
    ///
    /// Used where one failure must reach several waiters (every queued request of a
    /// connection that failed, say).
    pub fn duplicate(&self) -> Error {
        Error {
            kind: self.kind.clone(),
            context: self.context.clone(),
            source: self
                .source
                .as_ref()
                .map(|s| -> Box<dyn std::error::Error + Send + Sync> { s.to_string().into() }),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind);
        if let Some(c) = &self.context {
            d.field("context", c);
        }
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(c) = &self.context {
            // An I/O error's context already says what failed and why, in words.
            if self.kind == ErrorKind::Io {
                return f.write_str(c);
            }
            write!(f, "{c}: ")?;
        }
        match &self.kind {
            ErrorKind::Retry { written: true } => {
                f.write_str("connection closed before the response began (request was written)")?
            }
            ErrorKind::Retry { written: false } => f.write_str(
                "connection closed before the response began (request was not written)",
            )?,
            ErrorKind::Io => f.write_str("I/O error")?,
            ErrorKind::Malformed(m) => write!(f, "malformed message: {m}")?,
            ErrorKind::Limit(l) => write!(f, "limit exceeded: {l}")?,
            ErrorKind::Timeout => f.write_str("timed out")?,
            ErrorKind::Closed => f.write_str("connection closed with the request in flight")?,
            ErrorKind::Proxy(s) => write!(f, "proxy answered {s}")?,
            ErrorKind::Handler => f.write_str("handler failed")?,
            ErrorKind::Usage => f.write_str("invalid use")?,
            ErrorKind::Decode => f.write_str("could not decode content")?,
            ErrorKind::Tls(t) => write!(f, "TLS: {t}")?,
        }
        if let Some(s) = &self.source {
            write!(f, ": {s}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|s| &**s as &(dyn std::error::Error + 'static))
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        match e.kind() {
            io::ErrorKind::TimedOut => Error::new(ErrorKind::Timeout).with_source(e),
            _ => Error::new(ErrorKind::Io).with_source(e),
        }
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        let kind = match e.kind {
            ErrorKind::Io => io::ErrorKind::Other,
            ErrorKind::Timeout => io::ErrorKind::TimedOut,
            ErrorKind::Malformed(Malformed::TruncatedBody | Malformed::TruncatedHead) => {
                io::ErrorKind::UnexpectedEof
            }
            ErrorKind::Malformed(_) | ErrorKind::Limit(_) | ErrorKind::Tls(_) => {
                io::ErrorKind::InvalidData
            }
            _ => io::ErrorKind::Other,
        };
        io::Error::new(kind, e)
    }
}

/// The result of every fallible operation in `cohttp-core`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_kind() {
        assert_eq!(
            Error::limit(Limit::RequestLine).status(),
            Some(StatusCode::URI_TOO_LONG)
        );
        assert_eq!(
            Error::limit(Limit::HeaderBytes).status(),
            Some(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE)
        );
        assert_eq!(
            Error::limit(Limit::BodyBytes).status(),
            Some(StatusCode::PAYLOAD_TOO_LARGE)
        );
        assert_eq!(
            Error::malformed(Malformed::UnknownTransferCoding).status(),
            Some(StatusCode::NOT_IMPLEMENTED)
        );
        assert_eq!(
            Error::malformed(Malformed::UnsupportedVersion).status(),
            Some(StatusCode::HTTP_VERSION_NOT_SUPPORTED)
        );
        assert_eq!(
            Error::malformed(Malformed::Host).status(),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(Error::retry(true).status(), None);
    }

    #[test]
    fn io_round_trip_keeps_meaning() {
        let e: Error = io::Error::new(io::ErrorKind::TimedOut, "slow").into();
        assert!(e.is_timeout());
        let io: io::Error = Error::malformed(Malformed::TruncatedBody).into();
        assert_eq!(io.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn display_names_context_kind_and_source() {
        let e = Error::from(io::Error::new(io::ErrorKind::ConnectionRefused, "refused"))
            .with_context("could not connect to 127.0.0.1:9");
        // An I/O error's context says it all; the cause stays reachable as the source.
        assert_eq!(e.to_string(), "could not connect to 127.0.0.1:9");
        assert_eq!(
            std::error::Error::source(&e).unwrap().to_string(),
            "refused"
        );
        assert_eq!(e.duplicate().to_string(), e.to_string());
        let bare = Error::from(io::Error::new(io::ErrorKind::BrokenPipe, "pipe"));
        assert_eq!(bare.to_string(), "I/O error: pipe");
        let parse = Error::malformed(Malformed::Host).with_context("request 3");
        assert_eq!(
            parse.to_string(),
            "request 3: malformed message: missing, duplicate or invalid Host"
        );
    }
}
