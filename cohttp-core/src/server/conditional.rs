//! Conditional requests (RFC 9110 §13): [`Validators`] of a representation, and
//! [`evaluate_preconditions`], which applies `If-Match`, `If-Unmodified-Since`,
//! `If-None-Match` and `If-Modified-Since` in the order of §13.2.2; [`if_range_allows`]
//! for `If-Range` (§13.1.5).
//!
//! This file compares validators with request fields; it computes no validator from a
//! file beyond [`weak_etag`], and writes no response.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use cohttp_core::server::{evaluate_preconditions, Precondition, Validators};
//! use http::{HeaderMap, Method};
//!
//! let v = Validators::new(Some("W/\"a\"".into()), Some(UNIX_EPOCH + Duration::from_secs(60)));
//! let mut h = HeaderMap::new();
//! h.insert("if-none-match", "\"x\", W/\"a\"".parse().unwrap());
//! assert_eq!(evaluate_preconditions(&Method::GET, &h, &v), Precondition::NotModified);
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, IF_UNMODIFIED_SINCE};
use http::{HeaderMap, Method};

use crate::vocab::date::parse_http_date;

/// The validators of a representation: its entity tag and its modification time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    etag: Option<String>,
    last_modified: Option<SystemTime>,
}

impl Validators {
    /// Validators from an entity tag as sent in `ETag` (`"x"` or `W/"x"`) and a
    /// modification time (kept to the second, the resolution of HTTP dates).
    pub fn new(etag: Option<String>, last_modified: Option<SystemTime>) -> Validators {
        Validators {
            etag,
            last_modified: last_modified.map(whole_seconds),
        }
    }

    /// The entity tag, as sent in `ETag`.
    pub fn etag(&self) -> Option<&str> {
        self.etag.as_deref()
    }

    /// The modification time, truncated to the second.
    pub fn last_modified(&self) -> Option<SystemTime> {
        self.last_modified
    }
}

/// The outcome of the preconditions of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No precondition stops the request: serve it.
    Proceed,
    /// `304 Not Modified` (a `GET` or `HEAD` whose cached copy is current).
    NotModified,
    /// `412 Precondition Failed`.
    Failed,
}

/// A weak entity tag from a file's size and modification time: `W/"<size>-<secs>.<nanos>"`
/// in hexadecimal. Weak, because two different contents can share both.
pub fn weak_etag(size: u64, modified: SystemTime) -> String {
    let since = modified
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO);
    format!(
        "W/\"{size:x}-{:x}.{:x}\"",
        since.as_secs(),
        since.subsec_nanos()
    )
}

/// Applies the preconditions of a request for a representation with validators `v`,
/// in the order of RFC 9110 §13.2.2:
///
/// 1. `If-Match` (strong comparison): no match → failed;
/// 2. else `If-Unmodified-Since`: modified after it → failed;
/// 3. `If-None-Match` (weak comparison): a match → not modified for `GET`/`HEAD`,
///    failed for other methods;
/// 4. else, for `GET`/`HEAD`, `If-Modified-Since`: not modified after it → not
///    modified.
///
/// A date that does not parse is ignored, as §13.1.3 and §13.1.4 ask; so is a date
/// condition on a representation without a modification time.
pub fn evaluate_preconditions(
    method: &Method,
    headers: &HeaderMap,
    v: &Validators,
) -> Precondition {
    let get_or_head = method == Method::GET || method == Method::HEAD;
    if let Some(tags) = field(headers, &IF_MATCH) {
        if !list_matches(&tags, v.etag(), true) {
            return Precondition::Failed;
        }
    } else if let (Some(date), Some(modified)) =
        (date_field(headers, &IF_UNMODIFIED_SINCE), v.last_modified)
    {
        if modified > date {
            return Precondition::Failed;
        }
    }
    if let Some(tags) = field(headers, &IF_NONE_MATCH) {
        if list_matches(&tags, v.etag(), false) {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if get_or_head {
        if let (Some(date), Some(modified)) =
            (date_field(headers, &IF_MODIFIED_SINCE), v.last_modified)
        {
            if modified <= date {
                return Precondition::NotModified;
            }
        }
    }
    Precondition::Proceed
}

/// Whether a `Range` may be honoured given the request's `If-Range` (RFC 9110
/// §13.1.5): yes without `If-Range`; with an entity tag, only on a strong match (so
/// never with a weak `ETag`); with a date, only when it equals the modification time.
pub fn if_range_allows(headers: &HeaderMap, v: &Validators) -> bool {
    let Some(value) = field(headers, &IF_RANGE) else {
        return true;
    };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return v.etag().is_some_and(|ours| strong_eq(value, ours));
    }
    match (parse_http_date(value).ok(), v.last_modified) {
        (Some(date), Some(modified)) => date == modified,
        _ => false,
    }
}

/// All the values of a field joined with `,`, when present and text.
fn field(headers: &HeaderMap, name: &http::header::HeaderName) -> Option<String> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut out = String::new();
    for v in values {
        let text = v.to_str().ok()?;
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(text);
    }
    Some(out)
}

fn date_field(headers: &HeaderMap, name: &http::header::HeaderName) -> Option<SystemTime> {
    let value = headers.get(name)?.to_str().ok()?;
    parse_http_date(value.trim()).ok()
}

/// Whether an entity-tag list (`*` or tags) matches `ours`.
fn list_matches(list: &str, ours: Option<&str>, strong: bool) -> bool {
    let Some(ours) = ours else {
        return false;
    };
    if list.trim() == "*" {
        return true;
    }
    tags(list).any(|tag| {
        if strong {
            strong_eq(tag, ours)
        } else {
            opaque(tag) == opaque(ours) && opaque(tag).is_some()
        }
    })
}

/// The entity tags of a list, split on commas outside quotes.
fn tags(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = list;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return None;
        }
        let start = if rest.starts_with("W/") { 2 } else { 0 };
        let end = if rest[start..].starts_with('"') {
            rest[start + 1..]
                .find('"')
                .map_or(rest.len(), |i| start + 1 + i + 1)
        } else {
            rest.find(',').unwrap_or(rest.len())
        };
        let (tag, tail) = rest.split_at(end);
        rest = tail;
        Some(tag.trim())
    })
}

/// The opaque part of a well-formed entity tag (`"x"` of `W/"x"`).
fn opaque(tag: &str) -> Option<&str> {
    let t = tag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    (t.len() >= 2 && t.starts_with('"') && t.ends_with('"')).then_some(t)
}

/// Strong comparison: both tags strong, and the same.
fn strong_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim(), b.trim());
    !a.starts_with("W/") && !b.starts_with("W/") && opaque(a).is_some() && a == b
}

fn whole_seconds(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::http_date;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn weak() -> Validators {
        Validators::new(
            Some("W/\"10-5\"".into()),
            Some(at(1_000) + Duration::from_millis(700)),
        )
    }

    #[test]
    fn if_none_match_uses_weak_comparison_and_star() {
        let v = weak();
        for value in ["\"10-5\"", "W/\"10-5\"", "\"zz\", W/\"10-5\"", "*"] {
            let h = headers(&[("if-none-match", value)]);
            assert_eq!(
                evaluate_preconditions(&Method::GET, &h, &v),
                Precondition::NotModified,
                "{value}"
            );
            assert_eq!(
                evaluate_preconditions(&Method::HEAD, &h, &v),
                Precondition::NotModified
            );
            assert_eq!(
                evaluate_preconditions(&Method::PUT, &h, &v),
                Precondition::Failed
            );
        }
        let h = headers(&[("if-none-match", "\"10-6\"")]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &h, &v),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_none_match_takes_precedence_over_if_modified_since() {
        let v = weak();
        // The date says "not modified", the tag says "changed": the tag wins (§13.2.2).
        let h = headers(&[
            ("if-none-match", "\"other\""),
            ("if-modified-since", &http_date(at(5_000))),
        ]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &h, &v),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_modified_since_compares_whole_seconds() {
        let v = weak();
        let same = headers(&[("if-modified-since", &http_date(at(1_000)))]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &same, &v),
            Precondition::NotModified
        );
        let older = headers(&[("if-modified-since", &http_date(at(999)))]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &older, &v),
            Precondition::Proceed
        );
        let bad = headers(&[("if-modified-since", "yesterday")]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &bad, &v),
            Precondition::Proceed
        );
        assert_eq!(
            evaluate_preconditions(&Method::POST, &same, &v),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_match_is_strong_so_a_weak_tag_never_matches_but_star_does() {
        let v = weak();
        let h = headers(&[("if-match", "W/\"10-5\"")]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &h, &v),
            Precondition::Failed
        );
        let h = headers(&[("if-match", "*")]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &h, &v),
            Precondition::Proceed
        );
        let strong = Validators::new(Some("\"s\"".into()), None);
        let h = headers(&[("if-match", "\"a\", \"s\"")]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &h, &strong),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_unmodified_since_fails_when_modified_after() {
        let v = weak();
        let h = headers(&[("if-unmodified-since", &http_date(at(999)))]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &h, &v),
            Precondition::Failed
        );
        let h = headers(&[("if-unmodified-since", &http_date(at(1_000)))]);
        assert_eq!(
            evaluate_preconditions(&Method::GET, &h, &v),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_range_needs_a_strong_tag_or_the_exact_date() {
        let v = weak();
        assert!(if_range_allows(&HeaderMap::new(), &v));
        assert!(!if_range_allows(
            &headers(&[("if-range", "W/\"10-5\"")]),
            &v
        ));
        assert!(if_range_allows(
            &headers(&[("if-range", &http_date(at(1_000)))]),
            &v
        ));
        assert!(!if_range_allows(
            &headers(&[("if-range", &http_date(at(999)))]),
            &v
        ));
        let strong = Validators::new(Some("\"s\"".into()), None);
        assert!(if_range_allows(&headers(&[("if-range", "\"s\"")]), &strong));
    }

    #[test]
    fn weak_etags_change_with_size_and_time() {
        let a = weak_etag(10, at(5));
        assert_eq!(a, "W/\"a-5.0\"");
        assert_ne!(a, weak_etag(11, at(5)));
        assert_ne!(a, weak_etag(10, at(5) + Duration::from_nanos(1)));
    }

    #[test]
    fn tag_lists_split_outside_quotes() {
        let list: Vec<_> = tags("\"a,b\", W/\"c\" ,\"d\"").collect();
        assert_eq!(list, ["\"a,b\"", "W/\"c\"", "\"d\""]);
    }
}
