//! The in-memory network: listeners, connections and synthetic name resolution.
//!
//! Three address spaces, all in memory: names (`Addr::Named`), TCP socket addresses and
//! Unix paths. Listening registers an address; connecting to a registered address makes a
//! connection (`stream.rs`) at once and queues its server end on the listener; connecting
//! to anything else fails with `ConnectionRefused`.
//!
//! Host names resolve to stable synthetic loopback addresses: `localhost` is `127.0.0.1`,
//! an IP literal is itself, and any other name gets an address in `127.1.0.1 ..=
//! 127.254.255.254` derived from a hash of the lower-cased name (probing on the rare
//! collision), so `kv.test` always maps to the same address in every world. A server that
//! listens on `Addr::Tcp((MockNet::address_of("kv.test"), 80).into())` (or on `0.0.0.0:80`)
//! is reached by `http://kv.test/` through `Runtime::resolve` and `Runtime::connect`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use cohttp_core::runtime::{Addr, BoxFuture, BoxTransport, Listener, Net};

use crate::clock::Clock;
use crate::faults::Faults;
use crate::stream::{connection, Conn, ConnStats, MockStream};
use crate::trace::{Event, Trace};

/// The in-memory network of one world. Cloning shares it.
///
/// It implements [`Net`]: `Sim::runtime()` hands it to the client and the server. Tests
/// use it directly to inject faults ([`push_faults`](MockNet::push_faults)) and to read
/// what went over the wire ([`connections`](MockNet::connections)).
///
/// # Examples
///
/// ```
/// use futures_util::{AsyncReadExt, AsyncWriteExt};
/// use cohttp_core::runtime::{Addr, Ctx, Endpoint};
/// use cohttp_mock::{Faults, Sim};
///
/// let sim = Sim::new(3);
/// let rt = sim.runtime();
/// // The first connection to "kv" loses its response after 4 bytes.
/// sim.net().push_faults("kv", Faults::none().close_to_client_after(4));
/// let got = sim.block_on(async {
///     let mut listener = rt.listen(Addr::Named("kv".into())).await.unwrap();
///     let mut client = rt.connect(&Ctx::new(), &Endpoint::Named("kv".into())).await.unwrap();
///     let (mut server, _peer) = listener.accept().await.unwrap();
///     let _ = server.write_all(b"HTTP/1.1 200 OK\r\n").await; // cut after 4 bytes
///     let mut got = Vec::new();
///     client.read_to_end(&mut got).await.unwrap();
///     got
/// });
/// assert_eq!(got, b"HTTP");
/// let stats = &sim.net().connections()[0];
/// assert_eq!((stats.name.as_str(), stats.server_writes, stats.server_bytes), ("kv", 1, 4));
/// ```
#[derive(Clone)]
pub struct MockNet {
    inner: Arc<Inner>,
}

struct Inner {
    clock: Clock,
    trace: Arc<Trace>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    listeners: HashMap<Addr, Backlog>,
    /// Host name → synthetic address, and back.
    hosts: BTreeMap<String, Ipv4Addr>,
    names: HashMap<Ipv4Addr, String>,
    faults: HashMap<String, VecDeque<Faults>>,
    conns: Vec<Arc<Conn>>,
    next_port: u16,
}

/// Connections made to a listener and not yet accepted.
#[derive(Default)]
struct Backlog {
    queue: VecDeque<(MockStream, Addr)>,
    waker: Option<Waker>,
}

/// The first port handed out for `listen` on port 0.
const FIRST_EPHEMERAL_PORT: u16 = 30_000;

impl MockNet {
    pub(crate) fn new(clock: Clock, trace: Arc<Trace>) -> MockNet {
        MockNet {
            inner: Arc::new(Inner {
                clock,
                trace,
                state: Mutex::new(State {
                    next_port: FIRST_EPHEMERAL_PORT,
                    ..State::default()
                }),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Faults for the next connections made to `name`, in order (both ends of each);
    /// connections beyond the list get [`Faults::none`].
    ///
    /// `name` is matched against, in order: for TCP, `host:port` then `host` (the name
    /// that resolved to the address) then the socket address as written (`127.0.0.1:80`);
    /// for a Unix socket, its path; for a named listener, its name; for [`duplex`](crate::duplex)
    /// pairs nothing (they take their faults as an argument).
    pub fn push_faults(&self, name: &str, faults: Faults) {
        self.lock()
            .faults
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push_back(faults);
    }

    /// Statistics of every connection made so far, in order of creation.
    pub fn connections(&self) -> Vec<ConnStats> {
        let conns: Vec<Arc<Conn>> = self.lock().conns.clone();
        conns.iter().map(|c| c.stats()).collect()
    }

    /// The synthetic address `host` resolves to in every world (see the module docs).
    pub fn address_of(&self, host: &str) -> IpAddr {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            return ip;
        }
        let host = host.to_ascii_lowercase();
        if host == "localhost" {
            return IpAddr::V4(Ipv4Addr::LOCALHOST);
        }
        let mut s = self.lock();
        if let Some(ip) = s.hosts.get(&host) {
            return IpAddr::V4(*ip);
        }
        let mut h = fnv1a(host.as_bytes());
        let ip = loop {
            let b = h.to_le_bytes();
            let ip = Ipv4Addr::new(127, 1 + b[0] % 254, b[1], 1 + b[2] % 254);
            if !s.names.contains_key(&ip) {
                break ip;
            }
            h = h.wrapping_add(1);
        };
        s.hosts.insert(host.clone(), ip);
        s.names.insert(ip, host);
        IpAddr::V4(ip)
    }

    /// A connection between two ends, registered for [`connections`](MockNet::connections).
    pub(crate) fn pair(&self, name: String, faults: Faults) -> (MockStream, MockStream) {
        let mut s = self.lock();
        let id = s.conns.len() as u64;
        let (conn, client, server) = connection(
            id,
            name,
            faults,
            self.inner.clock.clone(),
            self.inner.trace.clone(),
        );
        s.conns.push(conn);
        (client, server)
    }

    /// Binds a listener on `addr` (port 0 picks a free port).
    pub fn bind(&self, addr: Addr) -> io::Result<MockListener> {
        let addr = {
            let mut s = self.lock();
            let addr = match addr {
                Addr::Tcp(mut sa) if sa.port() == 0 => {
                    let mut tries = 0u32;
                    loop {
                        sa.set_port(s.next_port);
                        s.next_port = s.next_port.checked_add(1).unwrap_or(FIRST_EPHEMERAL_PORT);
                        if !s.listeners.contains_key(&Addr::Tcp(sa)) {
                            break;
                        }
                        tries += 1;
                        if tries > u32::from(u16::MAX) {
                            return Err(io::Error::new(io::ErrorKind::AddrInUse, "no free port"));
                        }
                    }
                    Addr::Tcp(sa)
                }
                other => other,
            };
            if s.listeners.contains_key(&addr) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{addr} is already in use"),
                ));
            }
            s.listeners.insert(addr.clone(), Backlog::default());
            addr
        };
        self.inner.trace.record(Event::Listen {
            addr: addr.to_string(),
        });
        Ok(MockListener {
            net: self.clone(),
            addr,
        })
    }

    /// Connects to `to` at once; the server end waits on the listener's backlog.
    pub fn connect(&self, to: Addr, bind: Option<SocketAddr>) -> io::Result<MockStream> {
        let (keys, name) = self.names_for(&to);
        let mut s = self.lock();
        let bound = match &to {
            Addr::Tcp(sa) => [
                Addr::Tcp(*sa),
                Addr::Tcp(SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    sa.port(),
                )),
                Addr::Tcp(SocketAddr::new(
                    IpAddr::V6(Ipv6Addr::UNSPECIFIED),
                    sa.port(),
                )),
            ]
            .into_iter()
            .find(|a| s.listeners.contains_key(a)),
            other => s.listeners.contains_key(other).then(|| other.clone()),
        };
        let Some(bound) = bound else {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionRefused,
                format!("nothing listens on {to}"),
            ));
        };
        let faults = keys
            .iter()
            .find_map(|k| s.faults.get_mut(k).and_then(VecDeque::pop_front))
            .unwrap_or_default();
        drop(s);
        let (client, server) = self.pair(name, faults);
        let id = client.id();
        let peer = match &to {
            Addr::Tcp(_) => Addr::Tcp(bind.unwrap_or_else(|| {
                SocketAddr::new(
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    40_000 + (id % 20_000) as u16,
                )
            })),
            Addr::Unix(_) => Addr::Unix(PathBuf::new()),
            Addr::Named(n) => Addr::Named(format!("{n}#{id}")),
        };
        self.inner.trace.record(Event::Connect {
            conn: id,
            to: to.to_string(),
        });
        let mut s = self.lock();
        let waker = match s.listeners.get_mut(&bound) {
            Some(backlog) => {
                backlog.queue.push_back((server, peer));
                backlog.waker.take()
            }
            None => None,
        };
        drop(s);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(client)
    }

    /// The fault-queue keys for `to`, most specific first, and the connection's name.
    fn names_for(&self, to: &Addr) -> (Vec<String>, String) {
        match to {
            Addr::Tcp(sa) => {
                let host = match sa.ip() {
                    IpAddr::V4(ip) => self.lock().names.get(&ip).cloned(),
                    IpAddr::V6(_) => None,
                };
                match host {
                    Some(h) => (
                        vec![format!("{h}:{}", sa.port()), h.clone(), sa.to_string()],
                        h,
                    ),
                    None => (vec![sa.to_string()], sa.to_string()),
                }
            }
            Addr::Unix(p) => {
                let p = p.display().to_string();
                (vec![p.to_ascii_lowercase()], p)
            }
            Addr::Named(n) => (vec![n.to_ascii_lowercase()], n.clone()),
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn boxed(r: io::Result<MockStream>) -> io::Result<BoxTransport> {
    r.map(|s| Box::new(s) as BoxTransport)
}

impl Net for MockNet {
    fn resolve(&self, host: &str, port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> {
        let addr = SocketAddr::new(self.address_of(host), port);
        Box::pin(async move { Ok(vec![addr]) })
    }

    fn connect_tcp(
        &self,
        addr: SocketAddr,
        bind: Option<SocketAddr>,
    ) -> BoxFuture<'static, io::Result<BoxTransport>> {
        let net = self.clone();
        Box::pin(async move { boxed(net.connect(Addr::Tcp(addr), bind)) })
    }

    fn connect_unix(&self, path: PathBuf) -> BoxFuture<'static, io::Result<BoxTransport>> {
        let net = self.clone();
        Box::pin(async move { boxed(net.connect(Addr::Unix(path), None)) })
    }

    fn connect_named(&self, name: String) -> BoxFuture<'static, io::Result<BoxTransport>> {
        let net = self.clone();
        Box::pin(async move { boxed(net.connect(Addr::Named(name), None)) })
    }

    fn listen(&self, addr: Addr) -> BoxFuture<'static, io::Result<Box<dyn Listener>>> {
        let net = self.clone();
        Box::pin(async move { net.bind(addr).map(|l| Box::new(l) as Box<dyn Listener>) })
    }
}

/// A listener on the in-memory network. Dropping it unbinds the address and drops the
/// connections not yet accepted (their clients read end of stream).
pub struct MockListener {
    net: MockNet,
    addr: Addr,
}

impl std::fmt::Debug for MockListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockListener")
            .field("addr", &self.addr)
            .finish()
    }
}

impl MockListener {
    /// Polls for the next connection, with its server end and the client's address.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(MockStream, Addr)>> {
        let mut s = self.net.lock();
        let Some(backlog) = s.listeners.get_mut(&self.addr) else {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "listener unbound",
            )));
        };
        match backlog.queue.pop_front() {
            Some((stream, peer)) => {
                drop(s);
                self.net
                    .inner
                    .trace
                    .record(Event::Accept { conn: stream.id() });
                Poll::Ready(Ok((stream, peer)))
            }
            None => {
                backlog.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// Waits for the next connection.
    pub async fn accept(&mut self) -> io::Result<(MockStream, Addr)> {
        futures_util::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    /// The bound address (with the real port when port 0 was asked).
    pub fn addr(&self) -> &Addr {
        &self.addr
    }
}

impl Listener for MockListener {
    fn poll_accept(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<(BoxTransport, Addr)>> {
        self.poll_next(cx)
            .map(|r| r.map(|(s, a)| (Box::new(s) as BoxTransport, a)))
    }

    fn local_addr(&self) -> io::Result<Addr> {
        Ok(self.addr.clone())
    }
}

impl Drop for MockListener {
    fn drop(&mut self) {
        let backlog = self.net.lock().listeners.remove(&self.addr);
        drop(backlog);
    }
}
