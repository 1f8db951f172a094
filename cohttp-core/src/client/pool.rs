//! The pool behind [`Cache`](super::Cache) and [`Tunnel`](super::Tunnel): connections kept
//! per endpoint, the choice of a connection for each request, persistence learnt per
//! endpoint, and idle connections closed after `keep`.
//!
//! This file does not know how a connection is made (a [`Connector`] does: directly, or
//! through a `CONNECT` tunnel), nor retries or proxies (the caches around it do).
//!
//! The choice, for each request (DESIGN.md, "Connection caches"):
//! 1. an idle connection (open, nothing queued) of the endpoint;
//! 2. else a new connection, while the endpoint has fewer than `parallel`;
//! 3. else the shallowest connection known to be persistent, while its queue is shorter
//!    than `depth`;
//! 4. else wait until one of the endpoint's connections changes, and choose again.
//!
//! A closed connection is never chosen. A connection whose persistence is not known yet
//! takes one request at a time: the first response decides whether it may pipeline, and
//! a request queued behind it on a connection that turns out not to be persistent would
//! only bounce back as a retry. Once a connection of an endpoint answered as persistent,
//! the pool remembers it, and the endpoint's new connections pipeline at once.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use futures_channel::oneshot;
use futures_util::future::{self, Either};
use http::{Request, Response};

use super::config::ConnectionConfig;
use super::connection::Connection;
use crate::body::Body;
use crate::error::{Error, Malformed, Result};
use crate::runtime::{BoxFuture, Runtime};

/// Where a pooled connection goes: a scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) scheme: String,
    /// Lower case; IPv6 in brackets.
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Key {
    /// The key of an absolute URI (scheme and host required; port defaults by scheme).
    pub(crate) fn of(uri: &http::Uri) -> Result<Key> {
        let bad = |what: &str| {
            Error::malformed(Malformed::InvalidUri)
                .with_context(format!("{what} in {uri} (a cache needs an absolute URI)"))
        };
        let scheme = uri.scheme_str().ok_or_else(|| bad("no scheme"))?;
        let host = uri
            .host()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        let port = match uri.port_u16() {
            Some(p) => p,
            None => super::proxy_config::default_port(scheme).ok_or_else(|| bad("no port"))?,
        };
        Ok(Key {
            scheme: scheme.to_ascii_lowercase(),
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// `scheme://host:port/`.
    pub(crate) fn uri(&self) -> Result<http::Uri> {
        format!("{}://{}:{}/", self.scheme, self.host, self.port)
            .parse()
            .map_err(|e| {
                Error::malformed(Malformed::InvalidUri)
                    .with_context(format!("endpoint {self}"))
                    .with_source(e)
            })
    }

    /// `host:port`, the authority-form of a `CONNECT`.
    pub(crate) fn authority(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// How a pool makes a connection to a key.
pub(crate) trait Connector: Send + Sync + 'static {
    /// A new connection to `key` with `config` (persistence already set by the pool).
    fn connect(
        &self,
        rt: &Runtime,
        key: &Key,
        config: ConnectionConfig,
    ) -> BoxFuture<'static, Result<Connection>>;
}

/// The pool's settings (a part of `CacheConfig`).
#[derive(Clone, Debug)]
pub(crate) struct PoolConfig {
    pub(crate) keep: Duration,
    pub(crate) parallel: usize,
    pub(crate) depth: usize,
    pub(crate) connection: ConnectionConfig,
}

/// Connections per key. Cloning shares the pool. Dropping the last handle shuts every
/// pooled connection down (responses in flight still arrive).
#[derive(Clone)]
pub(crate) struct Pool {
    inner: Arc<Inner>,
}

struct Inner {
    rt: Runtime,
    config: PoolConfig,
    connector: Box<dyn Connector>,
    slots: Mutex<HashMap<Key, Slot>>,
}

/// One endpoint's connections.
#[derive(Default)]
struct Slot {
    conns: Vec<Connection>,
    /// Connections being made (counted against `parallel`).
    connecting: usize,
    /// A connection of this endpoint answered as persistent.
    persistent: bool,
    /// Woken when a connection is added or removed.
    listeners: Vec<oneshot::Sender<()>>,
    /// The connection that answered last: the likeliest to be idle, looked at first.
    recent: Option<Connection>,
}

impl Slot {
    fn changed(&mut self) {
        for l in self.listeners.drain(..) {
            let _ = l.send(());
        }
    }
}

/// What the choice came to.
enum Choice {
    Use(Connection),
    Create(Box<ConnectionConfig>),
    Wait(BoxFuture<'static, ()>),
}

impl Pool {
    pub(crate) fn new(rt: Runtime, config: PoolConfig, connector: Box<dyn Connector>) -> Pool {
        Pool {
            inner: Arc::new(Inner {
                rt,
                config: PoolConfig {
                    parallel: config.parallel.max(1),
                    depth: config.depth.max(1),
                    ..config
                },
                connector,
                slots: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Sends `req` on a connection to `key` chosen by the rule of the module docs.
    pub(crate) async fn call(&self, key: &Key, req: Request<Body>) -> Result<Response<Body>> {
        let conn = self.checkout(key).await?;
        let resp = conn.call(req).await;
        if resp.is_ok() {
            let persistent = conn.persistent() == Some(true);
            let mut slots = self.inner.lock();
            match slots.get_mut(key) {
                Some(slot) => {
                    slot.persistent |= persistent;
                    slot.recent = Some(conn);
                }
                None if persistent => {
                    slots.entry(key.clone()).or_default().persistent = true;
                }
                None => {}
            }
        }
        resp
    }

    /// Chooses (or makes) a connection for one request to `key`.
    pub(crate) async fn checkout(&self, key: &Key) -> Result<Connection> {
        // Each pass either returns or waits for a change of the endpoint's connections,
        // which happens only as requests progress: bounded by the work in flight.
        loop {
            match self.inner.choose(key) {
                Choice::Use(conn) => return Ok(conn),
                Choice::Wait(changed) => changed.await,
                Choice::Create(config) => return self.create(key, *config).await,
            }
        }
    }

    async fn create(&self, key: &Key, config: ConnectionConfig) -> Result<Connection> {
        // Undoes the `connecting` count however this ends (error, or the caller gave up).
        struct Connecting<'a> {
            inner: &'a Inner,
            key: &'a Key,
            conn: Option<Connection>,
        }
        impl Drop for Connecting<'_> {
            fn drop(&mut self) {
                let mut slots = self.inner.lock();
                let slot = slots.entry(self.key.clone()).or_default();
                slot.connecting = slot.connecting.saturating_sub(1);
                if let Some(c) = self.conn.take() {
                    slot.conns.push(c);
                }
                slot.changed();
            }
        }
        let mut guard = Connecting {
            inner: &self.inner,
            key,
            conn: None,
        };
        let conn = self
            .inner
            .connector
            .connect(&self.inner.rt, key, config)
            .await?;
        log::debug!(target: "cohttp::client", "cache: new connection {} to {key}", conn.id());
        guard.conn = Some(conn.clone());
        drop(guard);
        self.inner.rt.spawn(watch(
            Arc::downgrade(&self.inner),
            key.clone(),
            conn.clone(),
            self.inner.config.keep,
        ));
        Ok(conn)
    }

    /// The open connections to `key`, for tests and introspection.
    pub(crate) fn connections(&self, key: &Key) -> Vec<Connection> {
        self.inner
            .lock()
            .get(key)
            .map(|s| s.conns.iter().filter(|c| !c.is_closed()).cloned().collect())
            .unwrap_or_default()
    }

    /// Whether a connection to `key` answered as persistent.
    pub(crate) fn knows_persistent(&self, key: &Key) -> bool {
        self.inner.lock().get(key).is_some_and(|s| s.persistent)
    }

    /// Closes every pooled connection at once (see `Connection::close`).
    pub(crate) fn close_all(&self) {
        let conns: Vec<Connection> = self
            .inner
            .lock()
            .values()
            .flat_map(|s| s.conns.iter().cloned())
            .collect();
        for c in conns {
            c.close();
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Slot>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn choose(&self, key: &Key) -> Choice {
        let mut slots = self.lock();
        if let Some(slot) = slots.get_mut(key) {
            return self.choose_in(slot);
        }
        // The key is cloned only for an endpoint seen for the first time.
        self.choose_in(slots.entry(key.clone()).or_default())
    }

    /// The choice among the connections of one endpoint (its slot, under the pool's lock).
    fn choose_in(&self, slot: &mut Slot) -> Choice {
        if let Some(c) = slot.recent.take() {
            if c.load() == Some(0) {
                return Choice::Use(c);
            }
        }
        // One look at each connection: `None` when closed, else its queue length.
        let mut idle = None;
        slot.conns.retain(|c| match c.load() {
            None => false,
            Some(n) => {
                if n == 0 && idle.is_none() {
                    idle = Some(c.clone());
                }
                true
            }
        });
        if let Some(c) = idle {
            return Choice::Use(c);
        }
        if slot.conns.len() + slot.connecting < self.config.parallel {
            slot.connecting += 1;
            let persistent = if slot.persistent { Some(true) } else { None };
            return Choice::Create(Box::new(
                self.config.connection.clone().persistent(persistent),
            ));
        }
        let shallowest = slot
            .conns
            .iter()
            .filter(|c| c.persistent() == Some(true))
            .min_by_key(|c| c.length());
        if let Some(c) = shallowest {
            if c.length() < self.config.depth {
                return Choice::Use(c.clone());
            }
        }
        // Every connection is full (or busy deciding its persistence): wait for any of
        // them, or the set itself, to change. The notifications are taken under the
        // lock, so no change between this choice and the wait is missed.
        let (tx, rx) = oneshot::channel();
        slot.listeners.push(tx);
        let mut waits: Vec<BoxFuture<'static, ()>> = slot
            .conns
            .iter()
            .map(|c| Box::pin(c.notify()) as BoxFuture<'static, ()>)
            .collect();
        waits.push(Box::pin(async move {
            let _ = rx.await;
        }));
        Choice::Wait(Box::pin(async move {
            future::select_all(waits).await;
        }))
    }

    /// Forgets `conn` (closed, or closed for idleness).
    fn remove(&self, key: &Key, conn: &Connection) {
        let mut slots = self.lock();
        if let Some(slot) = slots.get_mut(key) {
            slot.conns.retain(|c| c.id() != conn.id());
            if slot.recent.as_ref().is_some_and(|c| c.id() == conn.id()) {
                slot.recent = None;
            }
            slot.changed();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let slots = std::mem::take(&mut *self.lock());
        for slot in slots.into_values() {
            for c in slot.conns {
                c.shutdown();
            }
        }
    }
}

/// Closes `conn` once it has been idle for `keep`, and forgets it once closed.
///
/// Ends when the connection closes (for idleness, by its peer, or by the pool's drop).
async fn watch(pool: Weak<Inner>, key: Key, conn: Connection, keep: Duration) {
    let rt = match pool.upgrade() {
        Some(p) => p.rt.clone(),
        None => return,
    };
    // One timer for the connection's life, reset each time it turns idle.
    let mut timer = rt.timer(rt.now() + keep);
    loop {
        if conn.is_closed() {
            break;
        }
        if conn.length() > 0 {
            // Busy: woken only once it is idle again (or ended), not at each step of
            // each request.
            conn.until_idle().await;
            continue;
        }
        // Taken before looking at the queue again, so a change in between is not missed.
        let changed = conn.notify();
        if conn.length() > 0 {
            continue;
        }
        timer.as_mut().reset(rt.now() + keep);
        let changed = std::pin::pin!(changed);
        match future::select(changed, timer.as_mut()).await {
            Either::Left(_) => continue,
            Either::Right(_) => {
                if conn.length() == 0 && !conn.is_closed() {
                    log::debug!(target: "cohttp::client", "cache: closing connection {} to {key}, idle for {keep:?}", conn.id());
                    conn.close();
                }
            }
        }
    }
    if let Some(pool) = pool.upgrade() {
        pool.remove(&key, &conn);
    }
}
