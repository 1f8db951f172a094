//! Why `cohttp-curl` failed: a one-line message and curl's exit status for it.
//!
//! The statuses are curl's (`man curl`, "EXIT CODES") where one fits: 2 usage, 3 bad
//! URL, 6 could not resolve, 7 could not connect, 8 unparseable reply, 18 body cut
//! short, 22 HTTP error with `--fail`, 23 write error, 26 read error, 28 timeout,
//! 35 TLS, 47 too many redirects, 52 empty reply, 56 failure receiving data.

use cohttp_core::{Error, ErrorKind, Malformed};

/// A failure: the exit status and the message printed after `cohttp-curl: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The process exit status.
    pub code: u8,
    /// One line, without the program name.
    pub message: String,
}

impl Failure {
    /// A failure with `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A wrong command line (status 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(2, message)
    }

    /// The failure of a transfer, from the client's error.
    pub fn from_error(e: &Error) -> Failure {
        let text = e.to_string();
        let code = match e.kind() {
            ErrorKind::Timeout => 28,
            ErrorKind::Io if text.starts_with("could not resolve") => 6,
            ErrorKind::Io if text.starts_with("could not connect") => 7,
            ErrorKind::Io => 56,
            ErrorKind::Malformed(Malformed::TruncatedBody) => 18,
            ErrorKind::Malformed(Malformed::InvalidUri) => 3,
            ErrorKind::Malformed(_) | ErrorKind::Limit(_) => 8,
            ErrorKind::Retry { .. } => 52,
            ErrorKind::Closed | ErrorKind::Proxy(_) => 56,
            ErrorKind::Tls(_) => 35,
            ErrorKind::Usage => 2,
            _ => 1,
        };
        Failure::new(code, one_line(&text))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cohttp-curl: {}", self.message)
    }
}

/// `text` on one line.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn connect_and_resolve_failures_get_curls_statuses() {
        let refused = Error::from(io::Error::from(io::ErrorKind::ConnectionRefused))
            .with_context("could not connect to 127.0.0.1:9: connection refused");
        let f = Failure::from_error(&refused);
        assert_eq!(f.code, 7);
        assert_eq!(
            f.to_string(),
            "cohttp-curl: could not connect to 127.0.0.1:9: connection refused"
        );
        let unknown = Error::from(io::Error::from(io::ErrorKind::NotFound))
            .with_context("could not resolve nowhere.invalid");
        assert_eq!(Failure::from_error(&unknown).code, 6);
        assert_eq!(Failure::from_error(&Error::timeout()).code, 28);
        let cut = Error::malformed(Malformed::TruncatedBody);
        assert_eq!(Failure::from_error(&cut).code, 18);
    }

    #[test]
    fn messages_stay_on_one_line() {
        let e = Error::usage("two\nlines");
        assert!(!Failure::from_error(&e).message.contains('\n'));
    }
}
