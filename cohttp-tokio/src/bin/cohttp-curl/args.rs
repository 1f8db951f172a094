//! The command line of `cohttp-curl`: what the user asked for, parsed and checked, with
//! curl's spellings. Nothing here touches the network or the file system.

use std::time::Duration;

use cohttp_core::client::DEFAULT_REDIRECT_LIMIT;

use crate::failure::Failure;

/// The usage text of `--help`.
pub const USAGE: &str = "\
usage: cohttp-curl [options] URL...
  -X, --request METHOD     method to use (default GET, POST with -d/-F, HEAD with -I)
  -H, --header 'N: v'      extra header ('N:' removes a default one); repeatable
  -d, --data DATA          urlencoded form data as given (@FILE: from FILE, newlines removed);
                           repeatable, joined with '&'
      --data-binary DATA   body as given (@FILE: streamed from FILE as is)
  -F, --form N=V           multipart/form-data field (N=@FILE uploads FILE, N=<FILE sends
                           its content as the value; ;type=MIME sets the part's type)
  -o, --output FILE        write the body of the next URL to FILE (progress bar on a terminal)
  -i, --include            print the response head before the body
  -I, --head               send HEAD and print the response head only
  -v, --verbose            print request and response heads to stderr
  -L, --location           follow redirects
      --max-redirs N       redirects followed with -L (default 10)
  -x, --proxy URL          proxy for every scheme ('' for none; NO_PROXY still applies)
  -m, --max-time S         bound on the whole transfer, in seconds
  -f, --fail               fail with exit status 22 on HTTP status >= 400
  -s, --silent             no progress bar and no error message (the exit status stays)
  -S, --show-error         with -s, still print the error message on failure
      --cacert FILE        trust only the CA certificates in PEM file FILE for https
                           (default: the Mozilla roots built in); also inside proxy tunnels
  -k, --insecure           https without checking the certificate (chain, dates, name):
                           encrypted, but to whoever answers; for tests only
  -h, --help               this text
Environment: http_proxy (lower case only: HTTP_PROXY can be set by a request's Proxy
header in CGI), HTTPS_PROXY/https_proxy, ALL_PROXY/all_proxy, NO_PROXY/no_proxy.";

/// Where the request body comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Data {
    /// `-d`: form data, sent as given with `application/x-www-form-urlencoded`. Each item
    /// is literal text or `@FILE`.
    Form(Vec<String>),
    /// `--data-binary`: literal text or `@FILE`, sent as is.
    Binary(String),
    /// `-F`: multipart fields, `name=value`, `name=@file`, `name=<file`.
    Multipart(Vec<String>),
}

/// What the user asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `-X`.
    pub method: Option<String>,
    /// `-H`, in order, as written.
    pub headers: Vec<String>,
    /// `-d`, `--data-binary` or `-F`.
    pub data: Option<Data>,
    /// `-o`, one per URL in order.
    pub outputs: Vec<String>,
    /// `-i`.
    pub include: bool,
    /// `-I`.
    pub head: bool,
    /// `-v`.
    pub verbose: bool,
    /// `-L`.
    pub follow: bool,
    /// `--max-redirs`.
    pub max_redirects: usize,
    /// `--proxy` (`Some("")` disables proxies).
    pub proxy: Option<String>,
    /// `--max-time`.
    pub max_time: Option<Duration>,
    /// `--fail`.
    pub fail: bool,
    /// `-s`, `--silent`.
    pub silent: bool,
    /// `-S`, `--show-error`.
    pub show_error: bool,
    /// `--cacert`.
    pub cacert: Option<String>,
    /// `-k`, `--insecure`.
    pub insecure: bool,
    /// The URLs, in order.
    pub urls: Vec<String>,
    /// `--help`.
    pub help: bool,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            method: None,
            headers: Vec::new(),
            data: None,
            outputs: Vec::new(),
            include: false,
            head: false,
            verbose: false,
            follow: false,
            max_redirects: DEFAULT_REDIRECT_LIMIT,
            proxy: None,
            max_time: None,
            fail: false,
            silent: false,
            show_error: false,
            cacert: None,
            insecure: false,
            urls: Vec::new(),
            help: false,
        }
    }
}

/// Options that take a value, by short and long name.
const VALUED: &[(char, &str)] = &[
    ('X', "request"),
    ('H', "header"),
    ('d', "data"),
    ('F', "form"),
    ('o', "output"),
    ('x', "proxy"),
    ('m', "max-time"),
];

/// Long options with a value and no short name.
const VALUED_LONG: &[&str] = &["data-binary", "data-ascii", "max-redirs", "cacert"];

fn long_of(short: char) -> Option<&'static str> {
    VALUED.iter().find(|(c, _)| *c == short).map(|(_, l)| *l)
}

impl Args {
    /// Parses the arguments after the program name.
    pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Args, Failure> {
        let mut out = Args::default();
        let mut args = args.into_iter();
        let mut only_urls = false;
        while let Some(arg) = args.next() {
            if only_urls || arg == "-" || !arg.starts_with('-') {
                out.urls.push(arg);
            } else if arg == "--" {
                only_urls = true;
            } else if let Some(long) = arg.strip_prefix("--") {
                let (name, inline) = match long.split_once('=') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (long, None),
                };
                if VALUED.iter().any(|(_, l)| *l == name) || VALUED_LONG.contains(&name) {
                    let value = match inline {
                        Some(v) => v,
                        None => args.next().ok_or_else(|| {
                            Failure::usage(format!("option --{name} needs a value"))
                        })?,
                    };
                    out.set(name, value)?;
                } else if inline.is_some() {
                    return Err(Failure::usage(format!("option --{name} takes no value")));
                } else {
                    out.flag(name)?;
                }
            } else {
                // A cluster of short flags, the last of which may take a value: `-iL`,
                // `-XPUT`, `-sX PUT`.
                let cluster: Vec<char> = arg.chars().skip(1).collect();
                for (i, c) in cluster.iter().enumerate() {
                    if let Some(long) = long_of(*c) {
                        let rest: String = cluster[i + 1..].iter().collect();
                        let value = if rest.is_empty() {
                            args.next().ok_or_else(|| {
                                Failure::usage(format!("option -{c} needs a value"))
                            })?
                        } else {
                            rest
                        };
                        out.set(long, value)?;
                        break;
                    }
                    let long = match c {
                        'i' => "include",
                        'I' => "head",
                        'v' => "verbose",
                        'L' => "location",
                        'f' => "fail",
                        's' => "silent",
                        'S' => "show-error",
                        'k' => "insecure",
                        'h' => "help",
                        _ => return Err(Failure::usage(format!("unknown option -{c}"))),
                    };
                    out.flag(long)?;
                }
            }
        }
        out.check()?;
        Ok(out)
    }

    fn flag(&mut self, name: &str) -> Result<(), Failure> {
        match name {
            "include" => self.include = true,
            "head" => self.head = true,
            "verbose" => self.verbose = true,
            "location" => self.follow = true,
            "fail" => self.fail = true,
            "silent" => self.silent = true,
            "show-error" => self.show_error = true,
            "insecure" => self.insecure = true,
            "help" => self.help = true,
            _ => return Err(Failure::usage(format!("unknown option --{name}"))),
        }
        Ok(())
    }

    fn set(&mut self, name: &str, value: String) -> Result<(), Failure> {
        match name {
            "request" => self.method = Some(value),
            "header" => self.headers.push(value),
            "data" | "data-ascii" => match &mut self.data {
                None => self.data = Some(Data::Form(vec![value])),
                Some(Data::Form(items)) => items.push(value),
                Some(_) => return Err(conflict()),
            },
            "data-binary" => match self.data {
                None => self.data = Some(Data::Binary(value)),
                Some(_) => return Err(conflict()),
            },
            "form" => match &mut self.data {
                None => self.data = Some(Data::Multipart(vec![value])),
                Some(Data::Multipart(fields)) => fields.push(value),
                Some(_) => return Err(conflict()),
            },
            "output" => self.outputs.push(value),
            "proxy" => self.proxy = Some(value),
            "cacert" => self.cacert = Some(value),
            "max-time" => {
                let secs: f64 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s < 1e9)
                    .ok_or_else(|| Failure::usage(format!("--max-time: bad number {value:?}")))?;
                self.max_time = Some(Duration::from_secs_f64(secs));
            }
            "max-redirs" => {
                self.max_redirects = value
                    .trim()
                    .parse()
                    .map_err(|_| Failure::usage(format!("--max-redirs: bad number {value:?}")))?;
            }
            _ => return Err(Failure::usage(format!("unknown option --{name}"))),
        }
        Ok(())
    }

    fn check(&self) -> Result<(), Failure> {
        if self.help {
            return Ok(());
        }
        if self.urls.is_empty() {
            return Err(Failure::usage("no URL given (try --help)"));
        }
        if self.head && self.data.is_some() {
            return Err(conflict());
        }
        if self.outputs.len() > self.urls.len() {
            return Err(Failure::usage("more -o than URLs"));
        }
        Ok(())
    }

    /// Whether a failure's one-line message is printed (curl's `-s` hides it, `-S`
    /// shows it again).
    pub fn shows_errors(&self) -> bool {
        !self.silent || self.show_error
    }

    /// The method of the first request.
    pub fn method(&self) -> String {
        match (&self.method, &self.data) {
            (Some(m), _) => m.clone(),
            (None, _) if self.head => "HEAD".into(),
            (None, Some(_)) => "POST".into(),
            (None, None) => "GET".into(),
        }
    }
}

fn conflict() -> Failure {
    Failure::usage("only one of -d, --data-binary, -F and -I may be used")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, Failure> {
        Args::parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn short_clusters_and_attached_values() {
        let a = parse(&["-iLXPUT", "-d", "a=1", "-dtwo", "http://h/"]).unwrap();
        assert!(a.include && a.follow);
        assert_eq!(a.method(), "PUT");
        assert_eq!(a.data, Some(Data::Form(vec!["a=1".into(), "two".into()])));
        assert_eq!(a.urls, ["http://h/"]);
    }

    #[test]
    fn long_options_with_equals_or_next_argument() {
        let a = parse(&["--max-time=1.5", "--proxy", "p:3128", "--fail", "u"]).unwrap();
        assert_eq!(a.max_time, Some(Duration::from_millis(1500)));
        assert_eq!(a.proxy.as_deref(), Some("p:3128"));
        assert!(a.fail);
        let a = parse(&["--cacert", "ca.pem", "-kL", "https://h/"]).unwrap();
        assert_eq!(a.cacert.as_deref(), Some("ca.pem"));
        assert!(a.insecure && a.follow);
        assert!(!parse(&["--cacert=ca.pem", "u"]).unwrap().insecure);
    }

    #[test]
    fn default_methods_follow_curl() {
        assert_eq!(parse(&["u"]).unwrap().method(), "GET");
        assert_eq!(parse(&["-I", "u"]).unwrap().method(), "HEAD");
        let quiet = parse(&["-sL", "u"]).unwrap();
        assert!(quiet.silent && !quiet.shows_errors());
        assert!(parse(&["-sS", "u"]).unwrap().shows_errors());
        assert!(parse(&["--silent", "--show-error", "u"])
            .unwrap()
            .shows_errors());
        assert!(parse(&["u"]).unwrap().shows_errors());
        assert_eq!(parse(&["-F", "a=b", "u"]).unwrap().method(), "POST");
        assert_eq!(
            parse(&["--data-binary", "@f", "u"]).unwrap().method(),
            "POST"
        );
    }

    #[test]
    fn conflicting_bodies_and_missing_values_are_usage_errors() {
        for bad in [
            &["-d", "a", "-F", "b=c", "u"][..],
            &["-I", "-d", "a", "u"],
            &["-X"],
            &["--max-time", "soon", "u"],
            &["--bogus", "u"],
            &["-q", "u"],
            &[],
            &["-o", "a", "-o", "b", "u"],
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, 2, "{bad:?}");
        }
    }
}
