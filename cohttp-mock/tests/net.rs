//! The in-memory network: listen, connect, accept, refuse, resolve.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use cohttp_core::runtime::{Addr, Ctx, Endpoint};
use cohttp_mock::{Event, Faults, Sim};
use futures_util::{AsyncReadExt, AsyncWriteExt};

/// The `io::ErrorKind` under a core error.
fn io_kind(err: &cohttp_core::Error) -> Option<io::ErrorKind> {
    std::error::Error::source(err)
        .and_then(|s| s.downcast_ref::<io::Error>())
        .map(io::Error::kind)
}

#[test]
fn named_listener_accepts_a_connection_and_bytes_flow_both_ways() {
    let sim = Sim::new(1);
    let rt = sim.runtime();
    let (peer, got) = sim.block_on(async {
        let mut l = rt.listen(Addr::Named("kv".into())).await.unwrap();
        assert_eq!(l.local_addr().unwrap(), Addr::Named("kv".into()));
        let mut c = rt
            .connect(&Ctx::new(), &Endpoint::Named("kv".into()))
            .await
            .unwrap();
        let (mut s, peer) = l.accept().await.unwrap();
        c.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        s.read_exact(&mut buf).await.unwrap();
        s.write_all(b"world").await.unwrap();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"world");
        (peer, buf)
    });
    assert_eq!(&got, b"hello");
    assert_eq!(peer, Addr::Named("kv#0".into()));
    let trace = sim.trace();
    assert!(trace.contains(&Event::Connect {
        conn: 0,
        to: "mem:kv".into()
    }));
    assert!(trace.contains(&Event::Accept { conn: 0 }));
}

#[test]
fn connecting_to_a_name_nobody_listens_on_is_refused() {
    let sim = Sim::new(2);
    let rt = sim.runtime();
    let err = sim.block_on(async {
        rt.connect(&Ctx::new(), &Endpoint::Named("nobody".into()))
            .await
            .map(|_| ())
            .unwrap_err()
    });
    assert_eq!(io_kind(&err), Some(io::ErrorKind::ConnectionRefused));
    assert!(sim.net().connections().is_empty());
}

#[test]
fn host_names_resolve_to_stable_loopback_addresses_a_tcp_listener_serves() {
    let sim = Sim::new(3);
    let rt = sim.runtime();
    let ip = sim.net().address_of("kv.test");
    assert!(ip.is_loopback());
    assert_ne!(ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(
        Sim::new(99).net().address_of("KV.test"),
        ip,
        "stable across worlds"
    );
    assert_ne!(sim.net().address_of("other.test"), ip);
    sim.block_on(async {
        let mut l = rt.listen(Addr::Tcp(SocketAddr::new(ip, 80))).await.unwrap();
        let endpoint = rt.resolve(&Ctx::new(), "kv.test", 80).await.unwrap();
        assert_eq!(
            endpoint,
            Endpoint::Tcp {
                host: "kv.test".into(),
                port: 80,
                addrs: vec![SocketAddr::new(ip, 80)]
            }
        );
        let mut c = rt.connect(&Ctx::new(), &endpoint).await.unwrap();
        let (mut s, peer) = l.accept().await.unwrap();
        assert!(matches!(peer, Addr::Tcp(a) if a.ip().is_loopback()));
        c.write_all(b"x").await.unwrap();
        let mut b = [0u8; 1];
        s.read_exact(&mut b).await.unwrap();
    });
    assert_eq!(sim.net().connections()[0].name, "kv.test");
    // Another port on the same host has no listener.
    let err = sim.block_on(async {
        let e = rt.resolve(&Ctx::new(), "kv.test", 81).await.unwrap();
        rt.connect(&Ctx::new(), &e).await.map(|_| ()).unwrap_err()
    });
    assert_eq!(io_kind(&err), Some(io::ErrorKind::ConnectionRefused));
}

#[test]
fn listening_on_the_unspecified_address_serves_every_host() {
    let sim = Sim::new(4);
    let rt = sim.runtime();
    sim.block_on(async {
        let any = SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 8080);
        let mut l = rt.listen(Addr::Tcp(any)).await.unwrap();
        for host in ["a.test", "localhost", "127.0.0.1"] {
            let e = rt.resolve(&Ctx::new(), host, 8080).await.unwrap();
            let _c = rt.connect(&Ctx::new(), &e).await.unwrap();
            l.accept().await.unwrap();
        }
    });
    assert_eq!(sim.net().connections().len(), 3);
}

#[test]
fn port_zero_gets_a_real_port_and_a_taken_address_is_in_use() {
    let sim = Sim::new(5);
    let rt = sim.runtime();
    sim.block_on(async {
        let local = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        let l1 = rt.listen(Addr::Tcp(local)).await.unwrap();
        let l2 = rt.listen(Addr::Tcp(local)).await.unwrap();
        let (Addr::Tcp(a1), Addr::Tcp(a2)) = (l1.local_addr().unwrap(), l2.local_addr().unwrap())
        else {
            panic!("not tcp")
        };
        assert_ne!(a1.port(), 0);
        assert_ne!(a1.port(), a2.port());
        let err = rt.listen(Addr::Tcp(a1)).await.map(|_| ()).unwrap_err();
        assert_eq!(io_kind(&err), Some(io::ErrorKind::AddrInUse));
        drop(l1);
        rt.listen(Addr::Tcp(a1)).await.unwrap();
    });
}

#[test]
fn unix_paths_listen_and_connect_with_an_unnamed_peer() {
    let sim = Sim::new(6);
    let rt = sim.runtime();
    let path = PathBuf::from("/run/api.sock");
    sim.block_on(async {
        let mut l = rt.listen(Addr::Unix(path.clone())).await.unwrap();
        let ctx = Ctx::new().with_override("api.local", Endpoint::Unix(path.clone()));
        let e = rt.resolve(&ctx, "api.local", 80).await.unwrap();
        let _c = rt.connect(&ctx, &e).await.unwrap();
        let (_s, peer) = l.accept().await.unwrap();
        assert_eq!(peer, Addr::Unix(PathBuf::new()));
        let err = rt
            .connect(&ctx, &Endpoint::Unix("/run/other.sock".into()))
            .await
            .map(|_| ())
            .unwrap_err();
        assert_eq!(io_kind(&err), Some(io::ErrorKind::ConnectionRefused));
    });
}

#[test]
fn dropping_a_listener_drops_unaccepted_connections() {
    let sim = Sim::new(7);
    let rt = sim.runtime();
    sim.block_on(async {
        let l = rt.listen(Addr::Named("gone".into())).await.unwrap();
        let mut c = rt
            .connect(&Ctx::new(), &Endpoint::Named("gone".into()))
            .await
            .unwrap();
        drop(l);
        let mut buf = Vec::new();
        assert_eq!(c.read_to_end(&mut buf).await.unwrap(), 0);
        let err = c.write_all(b"x").await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::BrokenPipe);
        let refused = rt
            .connect(&Ctx::new(), &Endpoint::Named("gone".into()))
            .await;
        assert!(refused.is_err());
    });
}

#[test]
fn pushed_faults_apply_in_order_then_none() {
    let sim = Sim::new(8);
    let rt = sim.runtime();
    let net = sim.net();
    net.push_faults("f", Faults::none().close_to_client_after(1));
    net.push_faults("f", Faults::none().close_to_client_after(2));
    let lens = sim.block_on(async {
        let mut l = rt.listen(Addr::Named("f".into())).await.unwrap();
        let mut lens = Vec::new();
        for _ in 0..3 {
            let mut c = rt
                .connect(&Ctx::new(), &Endpoint::Named("f".into()))
                .await
                .unwrap();
            let (mut s, _) = l.accept().await.unwrap();
            let _ = s.write_all(b"abc").await;
            drop(s);
            let mut got = Vec::new();
            c.read_to_end(&mut got).await.unwrap();
            lens.push(got.len());
        }
        lens
    });
    assert_eq!(lens, [1, 2, 3]);
}

#[test]
fn tcp_faults_match_host_and_port_before_host() {
    let sim = Sim::new(9);
    let rt = sim.runtime();
    let net = sim.net();
    net.push_faults("kv.test", Faults::none().close_to_client_after(2));
    net.push_faults("kv.test:80", Faults::none().close_to_client_after(1));
    let lens = sim.block_on(async {
        let ip = net.address_of("kv.test");
        let mut l = rt.listen(Addr::Tcp(SocketAddr::new(ip, 80))).await.unwrap();
        let mut lens = Vec::new();
        for _ in 0..3 {
            let e = rt.resolve(&Ctx::new(), "kv.test", 80).await.unwrap();
            let mut c = rt.connect(&Ctx::new(), &e).await.unwrap();
            let (mut s, _) = l.accept().await.unwrap();
            let _ = s.write_all(b"abc").await;
            drop(s);
            let mut got = Vec::new();
            c.read_to_end(&mut got).await.unwrap();
            lens.push(got.len());
        }
        lens
    });
    assert_eq!(lens, [1, 2, 3]);
}
