//! The backend conformance suite of `cohttp-core` on async-std.

#[test]
fn conformance_async_std() {
    let report = async_std::task::block_on(cohttp_core::testkit::run(cohttp_async_std::runtime()));
    println!("{report}");
    report.assert_passed();
}
