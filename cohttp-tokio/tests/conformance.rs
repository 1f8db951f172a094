//! The backend conformance suite of `cohttp-core` on tokio.

#[test]
fn conformance_tokio() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let report = rt.block_on(async { cohttp_core::testkit::run(cohttp_tokio::runtime()).await });
    println!("{report}");
    report.assert_passed();
}
