//! `multipart/form-data` (RFC 7578) for `-F`: fields parsed from curl's syntax and
//! encoded as body segments, files streamed rather than read into memory.
//!
//! Syntax: `name=value` (the value as written), `name=@FILE` (a file upload: the part
//! has `filename` and a `Content-Type`, `application/octet-stream` unless `;type=MIME`
//! follows; `;filename=NAME` overrides the name sent), `name=<FILE` (the file's content
//! as a plain value). Names and file names are quoted with `"`, CR and LF
//! percent-encoded, as browsers do (HTML's form-data encoding).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::SystemTime;

use bytes::Bytes;

use crate::failure::Failure;
use crate::payload::Segment;

/// One field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name.
    pub name: String,
    /// What it carries.
    pub value: Value,
}

/// The content of a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Literal text.
    Text(String),
    /// A file's content as a plain value (`<FILE`), with an optional type.
    Content {
        /// The file.
        path: String,
        /// `;type=`.
        content_type: Option<String>,
    },
    /// A file upload (`@FILE`).
    Upload {
        /// The file.
        path: String,
        /// The name sent in `filename`.
        filename: String,
        /// The part's `Content-Type`.
        content_type: String,
    },
}

/// A whole form, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    /// The fields.
    pub fields: Vec<Field>,
}

impl Form {
    /// Parses the `-F` arguments.
    pub fn parse(args: &[String]) -> Result<Form, Failure> {
        let mut fields = Vec::new();
        for arg in args {
            let (name, rest) = arg
                .split_once('=')
                .ok_or_else(|| Failure::usage(format!("-F {arg:?}: expected NAME=VALUE")))?;
            let value = if let Some(spec) = rest.strip_prefix('@') {
                let (path, opts) = options(spec);
                let base = std::path::Path::new(path)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| path.to_string());
                Value::Upload {
                    path: path.to_string(),
                    filename: opts.filename.unwrap_or(base),
                    content_type: opts
                        .content_type
                        .unwrap_or_else(|| "application/octet-stream".into()),
                }
            } else if let Some(spec) = rest.strip_prefix('<') {
                let (path, opts) = options(spec);
                Value::Content {
                    path: path.to_string(),
                    content_type: opts.content_type,
                }
            } else {
                Value::Text(rest.to_string())
            };
            fields.push(Field {
                name: name.to_string(),
                value,
            });
        }
        Ok(Form { fields })
    }

    /// A random boundary that no literal value of the form contains.
    pub fn boundary(&self) -> String {
        // 128 random bits make a collision with file content vanishingly unlikely;
        // literal values are checked outright.
        let mut candidate = boundary();
        for _ in 0..8 {
            let clash = self.fields.iter().any(|f| match &f.value {
                Value::Text(t) => t.contains(&candidate),
                _ => false,
            });
            if !clash {
                break;
            }
            candidate = boundary();
        }
        candidate
    }

    /// The body, as segments, with `boundary` (files are read when the body is sent).
    ///
    /// File lengths are taken now: a missing file fails here, before anything is sent.
    pub fn encode(&self, boundary: &str) -> Result<Vec<Segment>, Failure> {
        let mut out = Vec::new();
        let mut head = String::new();
        for field in &self.fields {
            head.push_str(&format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"",
                quote(&field.name)
            ));
            match &field.value {
                Value::Text(text) => {
                    head.push_str("\r\n\r\n");
                    head.push_str(text);
                }
                Value::Content { path, content_type } => {
                    if let Some(t) = content_type {
                        head.push_str(&format!("\r\nContent-Type: {t}"));
                    }
                    head.push_str("\r\n\r\n");
                    out.push(Segment::Bytes(Bytes::from(std::mem::take(&mut head))));
                    out.push(Segment::file(path)?);
                }
                Value::Upload {
                    path,
                    filename,
                    content_type,
                } => {
                    head.push_str(&format!(
                        "; filename=\"{}\"\r\nContent-Type: {content_type}\r\n\r\n",
                        quote(filename)
                    ));
                    out.push(Segment::Bytes(Bytes::from(std::mem::take(&mut head))));
                    out.push(Segment::file(path)?);
                }
            }
            head.push_str("\r\n");
        }
        head.push_str(&format!("--{boundary}--\r\n"));
        out.push(Segment::Bytes(Bytes::from(head)));
        Ok(out)
    }
}

/// `;type=` and `;filename=` after a file name.
#[derive(Default)]
struct Options {
    content_type: Option<String>,
    filename: Option<String>,
}

fn options(spec: &str) -> (&str, Options) {
    let mut parts = spec.split(';');
    let path = parts.next().unwrap_or("");
    let mut opts = Options::default();
    for part in parts {
        if let Some(t) = part.strip_prefix("type=") {
            opts.content_type = Some(t.to_string());
        } else if let Some(f) = part.strip_prefix("filename=") {
            opts.filename = Some(f.to_string());
        }
    }
    (path, opts)
}

/// A name inside `"..."`: `"`, CR and LF percent-encoded.
fn quote(name: &str) -> String {
    name.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A fresh random boundary: `cohttp-curl-` and 32 hex digits.
pub fn boundary() -> String {
    // `RandomState` is seeded from the OS's randomness once per process and then
    // varied per value; the time and a counter make each call differ regardless.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let word = |salt: u64| {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(salt);
        h.write_u64(n);
        h.write_u128(nanos);
        h.write_u32(std::process::id());
        h.finish()
    };
    format!("cohttp-curl-{:016x}{:016x}", word(1), word(2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(segments: &[Segment]) -> String {
        segments
            .iter()
            .map(|s| match s {
                Segment::Bytes(b) => String::from_utf8(b.to_vec()).unwrap(),
                Segment::File { path, len } => format!("<{} {len}>", path.display()),
            })
            .collect()
    }

    #[test]
    fn text_fields_encode_exactly() {
        let form = Form::parse(&["a=1".into(), "say=hi there;x".into()]).unwrap();
        let got = text_of(&form.encode("XYZ").unwrap());
        assert_eq!(
            got,
            "--XYZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
             --XYZ\r\nContent-Disposition: form-data; name=\"say\"\r\n\r\nhi there;x\r\n\
             --XYZ--\r\n"
        );
    }

    #[test]
    fn uploads_name_the_file_and_stream_it() {
        let dir = std::env::temp_dir().join(format!("cohttp-curl-mp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("notes.txt");
        std::fs::write(&f, "hello").unwrap();
        let arg = format!("up=@{};type=text/plain", f.display());
        let form = Form::parse(&[arg]).unwrap();
        let got = text_of(&form.encode("B").unwrap());
        assert_eq!(
            got,
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"up\"; filename=\"notes.txt\"\r\n\
                 Content-Type: text/plain\r\n\r\n<{} 5>\r\n--B--\r\n",
                f.display()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn names_with_quotes_and_newlines_are_escaped() {
        let form = Form::parse(&["a\"b\r\nc=v".into()]).unwrap();
        let got = text_of(&form.encode("B").unwrap());
        assert!(got.contains("name=\"a%22b%0D%0Ac\""), "{got}");
    }

    #[test]
    fn boundaries_are_random_and_avoid_values() {
        let a = boundary();
        let b = boundary();
        assert_ne!(a, b);
        assert_eq!(a.len(), "cohttp-curl-".len() + 32);
        let form = Form::parse(&[format!("x={a}")]).unwrap();
        assert!(!form.boundary().is_empty());
    }

    #[test]
    fn field_without_equals_is_a_usage_error() {
        assert_eq!(Form::parse(&["novalue".into()]).unwrap_err().code, 2);
    }

    #[test]
    fn missing_upload_file_fails_before_sending() {
        let form = Form::parse(&["f=@/nonexistent/x".into()]).unwrap();
        assert_eq!(form.encode("B").unwrap_err().code, 26);
    }
}
