//! The server on the wire: pipelining and write coalescing, keep-alive by RFC 9112
//! §9.3, response framing, HEAD, request bodies, 100-continue, expert mode. Raw bytes
//! in and out over the mock backend.

mod server_support;

use std::fmt::Write as _;

use cohttp_core::server::{ConnInfo, Expert, Next, Reply};
use cohttp_core::{Body, Error};
use cohttp_mock::{Faults, Sim};
use futures_util::{AsyncReadExt, AsyncWriteExt};
use http::{Method, Request, Response, StatusCode};
use server_support::*;

fn burst(n: usize) -> (Vec<u8>, String) {
    let mut requests = String::new();
    let mut expected = String::new();
    for i in 0..n {
        write!(requests, "GET /r{i} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        expected.push_str(&ok(&format!("GET /r{i}")));
    }
    (requests.into_bytes(), expected)
}

fn server_writes(sim: &Sim, name: &str) -> usize {
    let conns = sim.net().connections();
    let c = conns.iter().find(|c| c.name == name).expect("a connection");
    c.server_writes
}

#[test]
fn pipelined_burst_of_100_answered_in_order_in_few_writes() {
    let sim = Sim::new(1);
    let server = TestServer::start(&sim, "burst", app(), config());
    let (requests, expected) = burst(100);
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, &requests).await;
        read_exactly(&mut io, expected.len()).await
    });
    assert_eq!(got, expected);
    let writes = server_writes(&sim, "burst");
    assert!(writes <= 5, "100 responses took {writes} writes");
}

#[test]
fn pipelined_burst_delivered_one_byte_per_write_gets_the_same_responses() {
    let sim = Sim::new(2);
    let server = TestServer::start(&sim, "trickle", app(), config());
    sim.net()
        .push_faults("trickle", Faults::none().one_byte_io());
    let (requests, expected) = burst(100);
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, &requests).await;
        read_exactly(&mut io, expected.len()).await
    });
    assert_eq!(got, expected);
}

#[test]
fn responses_coalesce_up_to_the_buffered_response_limit() {
    let sim = Sim::new(3);
    let server = TestServer::start(&sim, "limit", app(), config().max_buffered_responses(10));
    let (requests, expected) = burst(100);
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, &requests).await;
        read_exactly(&mut io, expected.len()).await
    });
    assert_eq!(got, expected);
    assert_eq!(server_writes(&sim, "limit"), 10);
}

/// One row of the keep-alive matrix: the request, the exact response, and whether
/// the connection stays open after it.
struct Case {
    request: &'static str,
    response: String,
    kept: bool,
}

fn keep_alive_cases() -> Vec<Case> {
    vec![
        Case {
            request: "GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
            response: ok("GET /a"),
            kept: true,
        },
        Case {
            request: "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            response: format!(
                "HTTP/1.1 200 OK\r\n{TEXT}content-length: 6\r\nconnection: close\r\n{DATE}\r\nGET /a"
            ),
            kept: false,
        },
        Case {
            request: "GET /a HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, CLOSE\r\n\r\n",
            response: format!(
                "HTTP/1.1 200 OK\r\n{TEXT}content-length: 6\r\nconnection: close\r\n{DATE}\r\nGET /a"
            ),
            kept: false,
        },
        Case {
            request: "GET /a HTTP/1.0\r\n\r\n",
            response: format!(
                "HTTP/1.1 200 OK\r\n{TEXT}content-length: 6\r\nconnection: close\r\n{DATE}\r\nGET /a"
            ),
            kept: false,
        },
        Case {
            request: "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            response: format!(
                "HTTP/1.1 200 OK\r\n{TEXT}content-length: 6\r\nconnection: keep-alive\r\n{DATE}\r\nGET /a"
            ),
            kept: true,
        },
        Case {
            request: "GET /close HTTP/1.1\r\nHost: x\r\n\r\n",
            response: format!(
                "HTTP/1.1 200 OK\r\n{TEXT}connection: close\r\ncontent-length: 3\r\n{DATE}\r\nbye"
            ),
            kept: false,
        },
        Case {
            request: "GET /close HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            response: format!(
                "HTTP/1.1 200 OK\r\n{TEXT}connection: close\r\ncontent-length: 3\r\n{DATE}\r\nbye"
            ),
            kept: false,
        },
        Case {
            // No chunked coding for HTTP/1.0: the body ends with the connection.
            request: "GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
            response: format!("HTTP/1.1 200 OK\r\nconnection: close\r\n{DATE}\r\nonetwothree"),
            kept: false,
        },
    ]
}

#[test]
fn keep_alive_matrix() {
    for (i, case) in keep_alive_cases().into_iter().enumerate() {
        let sim = Sim::new(10 + i as u64);
        let server = TestServer::start(&sim, "ka", app(), config());
        sim.block_on(async {
            let mut io = server.connect().await;
            send(&mut io, case.request.as_bytes()).await;
            assert_eq!(
                read_exactly(&mut io, case.response.len()).await,
                case.response,
                "case {i}"
            );
            if case.kept {
                send(&mut io, b"GET /again HTTP/1.1\r\nHost: x\r\n\r\n").await;
                let next = ok("GET /again");
                assert_eq!(read_exactly(&mut io, next.len()).await, next, "case {i}");
            } else {
                let mut rest = Vec::new();
                io.read_to_end(&mut rest).await.unwrap();
                assert!(rest.is_empty(), "case {i}: connection not closed: {rest:?}");
            }
        });
    }
}

#[test]
fn head_gets_the_head_only_and_framing_goes_on() {
    let sim = Sim::new(4);
    let server = TestServer::start(&sim, "head", app(), config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nHEAD /stream HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /y HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 200 OK\r\n{TEXT}content-length: 7\r\n{DATE}\r\n\
             HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n{DATE}\r\n\
             HTTP/1.1 200 OK\r\n{TEXT}content-length: 6\r\nconnection: close\r\n{DATE}\r\nGET /y"
        )
    );
}

#[test]
fn empty_lines_then_end_of_stream_are_not_a_truncated_request() {
    // RFC 9112 §2.2: a server ignores empty lines received before a request line. A
    // client that ends its stream after a request and a stray CRLF (as some send after
    // a body) sent no further request: it gets its answer and the close, no 400.
    let sim = Sim::new(41);
    let server = TestServer::start(&sim, "crlf", app(), config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n",
        )
        .await;
        io.close().await.expect("close");
        read_to_end(&mut io).await
    });
    assert_eq!(got, ok("read 5"));
    // Nothing but an empty line: nothing to answer.
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, b"\r\n").await;
        io.close().await.expect("close");
        read_to_end(&mut io).await
    });
    assert_eq!(got, "");
    // A request begun after the empty lines and cut by the end is still a 400.
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, b"\r\nGET /x HTTP/1.1\r\n").await;
        io.close().await.expect("close");
        read_to_end(&mut io).await
    });
    assert!(got.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{got}");
}

#[test]
fn stream_body_is_sent_chunked() {
    let sim = Sim::new(5);
    let server = TestServer::start(&sim, "chunked", app(), config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n{DATE}\r\n\
             3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n"
        )
    );
}

#[test]
fn handler_streams_its_answer_from_the_request_body() {
    let sim = Sim::new(6);
    let server = TestServer::start(&sim, "echo", app(), config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
              POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
              2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n{DATE}\r\nhello\
             HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n{DATE}\r\n\
             2\r\nab\r\n1\r\nc\r\n0\r\n\r\n"
        )
    );
}

#[test]
fn get_with_a_body_is_framed_never_parsed_as_the_next_request() {
    // The seed never reads a body on GET; here its bytes are the body, drained.
    let sim = Sim::new(7);
    let server = TestServer::start(&sim, "getbody", app(), config());
    let smuggled = "GET /evil HTTP/1.1\r\nHost: x\r\n\r\n";
    let request = format!(
        "GET /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{smuggled}\
         GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        smuggled.len()
    );
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(&mut io, request.as_bytes()).await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "{}HTTP/1.1 200 OK\r\n{TEXT}content-length: 9\r\nconnection: close\r\n{DATE}\r\nGET /next",
            ok("ignored")
        )
    );
}

#[test]
fn unread_body_past_the_drain_limit_closes_the_connection() {
    let sim = Sim::new(8);
    let server = TestServer::start(&sim, "drain", app(), config().max_drain(10));
    let body = "x".repeat(100);
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        let head = "POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n";
        send(&mut io, head.as_bytes()).await;
        send(&mut io, body.as_bytes()).await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 200 OK\r\n{TEXT}content-length: 7\r\nconnection: close\r\n{DATE}\r\nignored"
        )
    );
}

#[test]
fn unread_chunked_body_within_the_drain_limit_is_drained() {
    let sim = Sim::new(9);
    let server = TestServer::start(&sim, "drain2", app(), config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .await;
        let mut reader = Reader::new();
        let first = reader.response(&mut io, &Method::POST).await.unwrap();
        assert_eq!(first.body, "ignored");
        // The rest of the body comes after the response; the server drains it.
        send(
            &mut io,
            b"3\r\nabc\r\n0\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await;
        reader.response(&mut io, &Method::GET).await.unwrap().body
    });
    assert_eq!(got, "GET /after");
}

#[test]
fn expect_continue_sent_when_the_handler_reads_the_body() {
    let sim = Sim::new(20);
    let server = TestServer::start(&sim, "cont", app(), config());
    sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .await;
        let interim = "HTTP/1.1 100 Continue\r\n\r\n";
        assert_eq!(read_exactly(&mut io, interim.len()).await, interim);
        send(&mut io, b"hello").await;
        let final_ = ok("read 5");
        assert_eq!(read_exactly(&mut io, final_.len()).await, final_);
        // The connection goes on.
        send(
            &mut io,
            b"GET /z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        let rest = read_to_end(&mut io).await;
        assert!(rest.ends_with("GET /z"), "{rest}");
    });
}

#[test]
fn expect_continue_not_sent_when_the_handler_answers_without_reading() {
    let sim = Sim::new(21);
    let server = TestServer::start(&sim, "nocont", app(), config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /ignore HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .await;
        // The peer never sends the body: the final answer comes, and the connection
        // closes since the body's framing cannot be trusted to follow.
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 200 OK\r\n{TEXT}content-length: 7\r\nconnection: close\r\n{DATE}\r\nignored"
        )
    );
}

#[test]
fn expect_continue_precedes_a_streamed_echo_of_the_body() {
    // Found while building `cargo xtask soak`: the echo's head went out first, then
    // `100 Continue` inside its body when the body was first read.
    let sim = Sim::new(22);
    let server = TestServer::start(&sim, "cont-echo", app(), config());
    sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        )
        .await;
        let interim = "HTTP/1.1 100 Continue\r\n\r\n";
        assert_eq!(read_exactly(&mut io, interim.len()).await, interim);
        send(&mut io, b"hello").await;
        // The echo sets no Content-Type.
        let final_ = format!("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n{DATE}\r\nhello");
        assert_eq!(read_exactly(&mut io, final_.len()).await, final_);
        // Asked for and read whole, the body leaves the connection usable.
        send(
            &mut io,
            b"GET /z HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        let rest = read_to_end(&mut io).await;
        assert!(rest.ends_with("GET /z"), "{rest}");
    });
}

#[test]
fn expect_continue_never_written_after_a_final_head() {
    // A streamed error made of the body: no 100 before the (non-2xx) head, and none
    // after it either; the peer sends the body unasked and gets it back.
    let handler = |_conn: ConnInfo, _req: Request<()>, body: Body| async move {
        Ok::<_, Error>(cohttp_core::server::respond(
            StatusCode::FORBIDDEN,
            http::HeaderMap::new(),
            body,
        ))
    };
    let sim = Sim::new(23);
    let server = TestServer::start(&sim, "cont-err", handler, config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
        )
        .await;
        let head = "HTTP/1.1 403 Forbidden\r\ntransfer-encoding: chunked\r\nconnection: close\r\n";
        assert_eq!(read_exactly(&mut io, head.len()).await, head);
        send(&mut io, b"5\r\nhello\r\n0\r\n\r\n").await;
        read_to_end(&mut io).await
    });
    assert_eq!(got, format!("{DATE}\r\n5\r\nhello\r\n0\r\n\r\n"));
}

async fn upgrade_handler(_conn: ConnInfo, req: Request<()>, body: Body) -> Result<Reply, Error> {
    {
        drop(body);
        if req.uri().path() != "/upgrade" {
            return Ok(cohttp_core::server::respond_string(StatusCode::OK, "plain").into());
        }
        let then = if req.headers().contains_key("x-continue") {
            Next::Continue
        } else {
            Next::Close
        };
        let head = Response::builder()
            .status(StatusCode::SWITCHING_PROTOCOLS)
            .header("connection", "upgrade")
            .header("upgrade", "shout")
            .body(())
            .unwrap();
        Ok(Expert::new(head, move |mut io| async move {
            // A line protocol: each 4-byte word comes back upper-cased until "quit".
            loop {
                let mut word = [0u8; 4];
                io.read_exact(&mut word).await?;
                if &word == b"quit" {
                    break;
                }
                io.write_all(&word.to_ascii_uppercase()).await?;
            }
            io.flush().await?;
            Ok(then)
        })
        .into())
    }
}

#[test]
fn expert_upgrade_speaks_its_own_protocol_after_101() {
    let sim = Sim::new(30);
    let server = TestServer::start(&sim, "up", upgrade_handler, config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        // The first word rides with the request: the expert stream must see it.
        send(
            &mut io,
            b"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: shout\r\n\r\nping",
        )
        .await;
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: shout\r\n{DATE}\r\n"
        );
        assert_eq!(read_exactly(&mut io, head.len() + 4).await, format!("{head}PING"));
        send(&mut io, b"pongquit").await;
        read_to_end(&mut io).await
    });
    assert_eq!(got, "PONG");
}

#[test]
fn expert_handler_can_hand_the_connection_back_to_http() {
    let sim = Sim::new(31);
    let server = TestServer::start(&sim, "up2", upgrade_handler, config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET /upgrade HTTP/1.1\r\nHost: x\r\nX-Continue: 1\r\n\r\nabcdquit\
              GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: shout\r\n{DATE}\r\n\
             ABCDHTTP/1.1 200 OK\r\n{TEXT}content-length: 5\r\nconnection: close\r\n{DATE}\r\nplain"
        )
    );
}

#[test]
fn unread_body_is_drained_while_a_large_response_is_still_being_written() {
    // 1 KiB in flight each way; the client writes its whole 100 KB body before it
    // reads anything, and the response is 10 KB: the server must read (drain) while
    // its response still waits to be written, or both ends wait on each other.
    let sim = Sim::new(40);
    let big = "r".repeat(10_000);
    let handler = {
        let big = big.clone();
        move |_: ConnInfo, _: Request<()>, _: Body| {
            let big = big.clone();
            async move { Ok::<_, Error>(cohttp_core::server::respond_string(StatusCode::OK, big)) }
        }
    };
    let server = TestServer::start(&sim, "tight", handler, config());
    sim.net().push_faults("tight", Faults::none().buffer(1024));
    let body = "b".repeat(100_000);
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        let head = format!(
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        send(&mut io, head.as_bytes()).await;
        send(&mut io, body.as_bytes()).await;
        send(
            &mut io,
            b"GET /next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    let one = format!("HTTP/1.1 200 OK\r\n{TEXT}content-length: 10000\r\n{DATE}\r\n{big}");
    let two = format!(
        "HTTP/1.1 200 OK\r\n{TEXT}content-length: 10000\r\nconnection: close\r\n{DATE}\r\n{big}"
    );
    assert_eq!(got, format!("{one}{two}"));
    assert_eq!(
        sim.elapsed(),
        std::time::Duration::ZERO,
        "a timeout broke a stall"
    );
}

#[test]
fn large_echo_streams_through_small_buffers() {
    let sim = Sim::new(41);
    let server = TestServer::start(&sim, "pipe", app(), config());
    sim.net().push_faults("pipe", Faults::none().buffer(512));
    let body: String = (0..50_000u32)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let got = sim.block_on(async {
        let io = server.connect().await;
        let (mut r, mut w) = io.split();
        let head = format!(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let writer = {
            let body = body.clone();
            sim.spawn(async move {
                w.write_all(head.as_bytes()).await.unwrap();
                w.write_all(body.as_bytes()).await.unwrap();
                w
            })
        };
        let mut got = String::new();
        r.read_to_string(&mut got).await.unwrap();
        writer.await;
        got
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: 50000\r\nconnection: close\r\n{DATE}\r\n{body}"
        )
    );
}

#[test]
fn final_response_with_an_interim_status_becomes_500() {
    let sim = Sim::new(42);
    let handler = |_: ConnInfo, _: Request<()>, _: Body| async {
        Ok::<_, Error>(cohttp_core::server::respond_string(
            StatusCode::SWITCHING_PROTOCOLS,
            "",
        ))
    };
    let server = TestServer::start(&sim, "interim", handler, config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 500 Internal Server Error\r\n{TEXT}content-length: 21\r\nconnection: close\r\n{DATE}\r\n\
             Internal Server Error"
        )
    );
}

/// The handler's own framing, `Connection` and `Date` fields: a stated length is
/// replaced in place by the body's, a `Transfer-Encoding` makes a sized body chunked,
/// its `Date` is kept (no second one), and 204/304 lose what they may not carry.
#[test]
fn handler_framing_fields_are_replaced_in_place_and_its_date_kept() {
    let handler = |_conn: ConnInfo, req: Request<()>, _body: Body| async move {
        let field = |name: &'static str, value: &'static str| {
            (
                http::HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            )
        };
        let (status, fields, body): (StatusCode, Vec<_>, &str) = match req.uri().path() {
            "/length" => (
                StatusCode::OK,
                vec![field("content-length", "99"), field("x-after", "1")],
                "four",
            ),
            "/te" => (
                StatusCode::OK,
                vec![
                    field("transfer-encoding", "gzip"),
                    field("content-length", "4"),
                ],
                "four",
            ),
            "/date" => (
                StatusCode::OK,
                vec![field("date", "Sun, 06 Nov 1994 08:49:37 GMT")],
                "four",
            ),
            "/204" => (
                StatusCode::NO_CONTENT,
                vec![
                    field("content-length", "4"),
                    field("transfer-encoding", "chunked"),
                ],
                "",
            ),
            "/304" => (
                StatusCode::NOT_MODIFIED,
                vec![
                    field("content-length", "4"),
                    field("transfer-encoding", "chunked"),
                ],
                "",
            ),
            _ => (
                StatusCode::OK,
                vec![field("connection", "keep-alive, x-token")],
                "bye",
            ),
        };
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = status;
        for (name, value) in fields {
            r.headers_mut().append(name, value);
        }
        Ok::<_, Error>(Reply::Response(r))
    };
    let sim = Sim::new(41);
    let server = TestServer::start(&sim, "own-fields", handler, config());
    let got = sim.block_on(async {
        let mut io = server.connect().await;
        send(
            &mut io,
            b"GET /length HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /te HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /date HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /204 HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /304 HTTP/1.1\r\nHost: x\r\n\r\n\
              GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        )
        .await;
        read_to_end(&mut io).await
    });
    assert_eq!(
        got,
        format!(
            "HTTP/1.1 200 OK\r\ncontent-length: 4\r\nx-after: 1\r\n{DATE}\r\nfour\
             HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n{DATE}\r\n4\r\nfour\r\n0\r\n\r\n\
             HTTP/1.1 200 OK\r\ndate: Sun, 06 Nov 1994 08:49:37 GMT\r\ncontent-length: 4\r\n\r\nfour\
             HTTP/1.1 204 No Content\r\n{DATE}\r\n\
             HTTP/1.1 304 Not Modified\r\ncontent-length: 4\r\n{DATE}\r\n\
             HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n{DATE}\r\nbye"
        )
    );
}
