//! Directory listings as HTML: [`ListingEntry`] and [`html_listing`], with every name
//! HTML-escaped in text and percent-encoded in links.
//!
//! This file formats a listing from entries it is given; reading the directory is the
//! file server's job (`file_server.rs`).
//!
//! ```
//! use cohttp_core::server::{html_listing, ListingEntry};
//!
//! let page = html_listing("/docs/", &[ListingEntry::file("a&b <c>.txt", 3, None)]);
//! assert!(page.contains("<a href=\"a%26b%20%3Cc%3E.txt\">a&amp;b &lt;c&gt;.txt</a>"));
//! ```

use std::fmt::Write as _;
use std::time::SystemTime;

use crate::server::http_date;

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingEntry {
    /// The entry's file name (one path segment, unescaped).
    pub name: String,
    /// Whether the entry is a directory (its link then ends with `/`).
    pub is_dir: bool,
    /// The size in bytes of a file, when known.
    pub size: Option<u64>,
    /// The modification time, when known.
    pub modified: Option<SystemTime>,
}

impl ListingEntry {
    /// A file entry.
    pub fn file(name: impl Into<String>, size: u64, modified: Option<SystemTime>) -> ListingEntry {
        ListingEntry {
            name: name.into(),
            is_dir: false,
            size: Some(size),
            modified,
        }
    }

    /// A directory entry.
    pub fn dir(name: impl Into<String>, modified: Option<SystemTime>) -> ListingEntry {
        ListingEntry {
            name: name.into(),
            is_dir: true,
            size: None,
            modified,
        }
    }
}

/// An HTML page listing `entries` of the directory at URI path `path` (as received,
/// percent-encoded, ending with `/`): directories first, then files, each group by
/// name; a link to the parent unless `path` is `/`. Columns: name, size, modified.
pub fn html_listing(path: &str, entries: &[ListingEntry]) -> String {
    let mut sorted: Vec<&ListingEntry> = entries.iter().collect();
    sorted.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
    let title = escape_html(&percent_decode_lossy(path));
    let mut out = String::with_capacity(512 + entries.len() * 160);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html>\n<head><meta charset=\"utf-8\"><title>Index of {title}</title></head>\n\
         <body>\n<h1>Index of {title}</h1>\n<table>\n\
         <tr><th>Name</th><th>Size</th><th>Modified</th></tr>\n"
    );
    if path != "/" {
        out.push_str("<tr><td><a href=\"../\">../</a></td><td>-</td><td>-</td></tr>\n");
    }
    for e in sorted {
        let slash = if e.is_dir { "/" } else { "" };
        let size = match (e.is_dir, e.size) {
            (false, Some(n)) => n.to_string(),
            _ => "-".to_string(),
        };
        let modified = e.modified.map_or_else(|| "-".to_string(), http_date);
        let _ = writeln!(
            out,
            "<tr><td><a href=\"{}{slash}\">{}{slash}</a></td><td>{size}</td><td>{modified}</td></tr>",
            percent_encode_segment(&e.name),
            escape_html(&e.name),
        );
    }
    out.push_str("</table>\n</body>\n</html>\n");
    out
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML text and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes every byte of `s` (UTF-8) but the unreserved characters of RFC 3986
/// (`A-Z a-z 0-9 - . _ ~`), so that the result is one path segment, safe in an
/// attribute.
pub fn percent_encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Decodes `%XX` escapes for display; anything malformed or not UTF-8 is kept as is.
fn percent_decode_lossy(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match escaped {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_text_and_encoded_in_links() {
        let page = html_listing(
            "/",
            &[ListingEntry::file("\"><script>alert(1)</script>", 1, None)],
        );
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains(
            "<a href=\"%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%3E\">&quot;&gt;&lt;script&gt;"
        ));
    }

    #[test]
    fn directories_come_first_with_a_slash_and_no_size() {
        let page = html_listing(
            "/a%20b/",
            &[
                ListingEntry::file("z.txt", 12, None),
                ListingEntry::dir("sub dir", None),
            ],
        );
        let dir = page.find("sub%20dir/").unwrap();
        let file = page.find("z.txt").unwrap();
        assert!(dir < file);
        assert!(page.contains("<td>12</td>"));
        assert!(page.contains("<title>Index of /a b/</title>"));
        assert!(page.contains("href=\"../\""));
        assert!(!html_listing("/", &[]).contains("href=\"../\""));
    }

    #[test]
    fn title_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode_lossy("/%zz/%41"), "/%zz/A");
        assert_eq!(percent_decode_lossy("/%ff"), "/%ff");
        assert_eq!(
            escape_html(&percent_decode_lossy("/%3Cb%3E/")),
            "/&lt;b&gt;/"
        );
    }

    #[test]
    fn segments_encode_multibyte_characters() {
        assert_eq!(percent_encode_segment("é/ ~"), "%C3%A9%2F%20~");
    }
}
