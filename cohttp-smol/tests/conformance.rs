//! The backend conformance suite of `cohttp-core` on smol.

#[test]
fn conformance_smol() {
    let report = smol::block_on(cohttp_core::testkit::run(cohttp_smol::runtime()));
    println!("{report}");
    report.assert_passed();
}
