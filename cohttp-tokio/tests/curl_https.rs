//! `cohttp-curl` over `https` straight to a `cohttp-server --tls-cert` origin whose
//! self-signed certificate (for `127.0.0.1` only) is not in the default roots:
//! `--cacert` trusts it for every connection of the run (several URLs, redirects),
//! `-k` skips the checks, and an unusable CA file exits 77 as curl does. Loopback only,
//! every run bounded.

mod curl_support;
mod tools_support;

use curl_support::{curl, TempDir};
use tools_support::{path_str, Tool};

const SERVER: &str = env!("CARGO_BIN_EXE_cohttp-server");

/// A TLS origin serving `a.txt`, `b.txt` and `dir/index.html`, and its CA file.
struct Origin {
    dir: TempDir,
    server: Tool,
}

impl Origin {
    fn start() -> Origin {
        let dir = TempDir::new("https");
        let root = dir.join("root");
        std::fs::create_dir_all(root.join("dir")).unwrap();
        std::fs::write(root.join("a.txt"), "alpha").unwrap();
        std::fs::write(root.join("b.txt"), "beta").unwrap();
        std::fs::write(root.join("dir/index.html"), "<p>index</p>").unwrap();
        let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into()])
            .expect("a self-signed certificate");
        let (cert_pem, key_pem) = (dir.join("cert.pem"), dir.join("key.pem"));
        std::fs::write(&cert_pem, cert.cert.pem()).unwrap();
        std::fs::write(&key_pem, cert.key_pair.serialize_pem()).unwrap();
        let server = Tool::start(
            SERVER,
            &[
                path_str(&root),
                "--port",
                "0",
                "-q",
                "--tls-cert",
                path_str(&cert_pem),
                "--tls-key",
                path_str(&key_pem),
            ],
        );
        Origin { dir, server }
    }

    fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.server.port)
    }

    fn ca(&self) -> String {
        path_str(&self.dir.join("cert.pem")).to_string()
    }
}

#[test]
fn cacert_trusts_the_origin_for_several_urls_and_redirects() {
    let origin = Origin::start();
    let ca = origin.ca();
    let run = curl(&[
        "--cacert",
        &ca,
        &origin.url("127.0.0.1", "/a.txt"),
        &origin.url("127.0.0.1", "/b.txt"),
        &origin.url("127.0.0.1", "/a.txt"),
    ]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "alphabetaalpha");
    // `/dir` redirects to `/dir/`, followed on the same trust.
    let run = curl(&["--cacert", &ca, "-L", &origin.url("127.0.0.1", "/dir")]);
    assert_eq!(run.code(), 0, "{}", run.stderr);
    assert_eq!(run.stdout_text(), "<p>index</p>");
}

#[test]
fn without_cacert_the_self_signed_origin_fails_with_status_35() {
    let origin = Origin::start();
    let run = curl(&[&origin.url("127.0.0.1", "/a.txt")]);
    assert_eq!(run.code(), 35, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert_eq!(
        run.stderr.trim_end(),
        "cohttp-curl: TLS handshake with 127.0.0.1 failed: TLS: certificate not trusted: \
         invalid peer certificate: UnknownIssuer"
    );
    // Trusted, but for another name: still refused.
    let run = curl(&["--cacert", &origin.ca(), &origin.url("localhost", "/a.txt")]);
    assert_eq!(run.code(), 35, "{}", run.stderr);
    assert!(
        run.stderr.contains("TLS handshake with localhost failed"),
        "{}",
        run.stderr
    );
}

#[test]
fn insecure_skips_the_certificate_checks() {
    let origin = Origin::start();
    for flag in ["-k", "--insecure"] {
        let run = curl(&[flag, &origin.url("localhost", "/b.txt")]);
        assert_eq!(run.code(), 0, "{flag}: {}", run.stderr);
        assert_eq!(run.stdout_text(), "beta");
    }
}

#[test]
fn unusable_ca_files_exit_77() {
    let origin = Origin::start();
    let url = origin.url("127.0.0.1", "/a.txt");
    let missing = origin.dir.join("missing.pem");
    let run = curl(&["--cacert", path_str(&missing), &url]);
    assert_eq!(run.code(), 77, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "cohttp-curl: cannot read CA file {}:",
            missing.display()
        )),
        "{}",
        run.stderr
    );
    let junk = origin.dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    let run = curl(&["--cacert", path_str(&junk), &url]);
    assert_eq!(run.code(), 77, "{}", run.stderr);
    assert!(
        run.stderr.contains("no CERTIFICATE block found"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn help_documents_cacert_and_insecure() {
    let run = curl(&["--help"]);
    assert_eq!(run.code(), 0);
    let help = run.stdout_text();
    assert!(help.contains("--cacert FILE"), "{help}");
    assert!(help.contains("-k, --insecure"), "{help}");
}
