//! # cohttp_mock
//!
//! A deterministic in-memory backend for cohttp, for testing HTTP code with no sockets,
//! no threads and no real time.
//!
//! ## What it provides
//!
//! - [`Sim`], a world: a single-threaded executor, a virtual clock and an in-memory
//!   network. [`Sim::runtime`] is the `cohttp_core::Runtime` to give a client or a server;
//!   [`Sim::block_on`] runs it.
//! - [`MockNet`]: listeners and connections on names (`Addr::Named`), synthetic TCP
//!   addresses (any host name resolves to a stable `127.x.y.z`) and Unix paths.
//! - [`MockStream`]: a `futures-io` byte stream with bounded buffers, half-close and
//!   [`Faults`]: close or reset after N bytes either way, one-byte reads and writes,
//!   read delays, a peer that stops reading, small buffers, random schedules.
//! - [`duplex`]: a connected pair without a listener.
//! - [`Sim::trace`]: the ordered [`Event`]s of a run; [`MockNet::connections`]: write calls
//!   and bytes per connection; [`capture_logs`]: the `log` records of the test's thread.
//!
//! ## How it works
//!
//! Spawned tasks are boxed futures; a task's waker puts its id on a ready queue, and the
//! run loop picks the next task among the ready ones with a generator seeded by
//! [`Sim::new`]'s argument: the same seed gives the same interleaving. When no task is
//! ready, the virtual clock jumps to the earliest pending timer; when there is none, the
//! run is deadlocked and [`Sim::block_on`] panics with the tail of the trace instead of
//! hanging. A step budget (10 million polls by default) bounds every run.
//!
//! ## Example: testing your own handler
//!
//! A tiny line-echo "handler" served on a named listener, and a client that talks to it,
//! with a read delay on the connection. A minute of virtual timeout costs nothing.
//!
//! ```
//! use std::time::Duration;
//! use futures_util::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
//! use futures_util::io::BufReader;
//! use cohttp_core::runtime::{Addr, Ctx, Endpoint};
//! use cohttp_mock::{Faults, Sim};
//!
//! // The code under test: answers each request line with "echo: <line>".
//! async fn handler(stream: cohttp_core::runtime::BoxTransport) -> std::io::Result<()> {
//!     let (r, mut w) = stream.split();
//!     let mut lines = BufReader::new(r).lines();
//!     while let Some(line) = futures_util::StreamExt::next(&mut lines).await {
//!         w.write_all(format!("echo: {}\n", line?).as_bytes()).await?;
//!     }
//!     w.close().await
//! }
//!
//! let sim = Sim::new(1);
//! let rt = sim.runtime();
//! sim.net().push_faults("echo", Faults::none().delay_each_read(Duration::from_millis(10)));
//!
//! let reply = sim.block_on(async {
//!     let mut listener = rt.listen(Addr::Named("echo".into())).await.unwrap();
//!     rt.spawn(async move {
//!         let (stream, _peer) = listener.accept().await.unwrap();
//!         handler(stream).await.unwrap();
//!     });
//!
//!     let mut conn = rt.connect(&Ctx::new(), &Endpoint::Named("echo".into())).await.unwrap();
//!     conn.write_all(b"GET /\n").await.unwrap();
//!     conn.close().await.unwrap(); // half-close: the reply still comes back
//!     let mut reply = String::new();
//!     rt.timeout(Duration::from_secs(60), conn.read_to_string(&mut reply))
//!         .await
//!         .expect("no timeout")
//!         .unwrap();
//!     reply
//! });
//!
//! assert_eq!(reply, "echo: GET /\n");
//! assert!(sim.elapsed() >= Duration::from_millis(20)); // delays are virtual
//! let conn = &sim.net().connections()[0];
//! assert_eq!((conn.client_bytes, conn.server_bytes), (6, 12));
//! assert_eq!(sim.live_tasks(), 0);
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod clock;
mod executor;
mod faults;
mod logs;
mod net;
mod rng;
mod sim;
mod stream;
mod trace;

pub use cohttp_core as core;

pub use faults::{Faults, DEFAULT_BUFFER};
pub use logs::{capture_logs, LogCapture, LogRecord};
pub use net::{MockListener, MockNet};
pub use sim::{duplex, JoinHandle, Sim};
pub use stream::{ConnStats, MockStream};
pub use trace::{Event, Side};
