//! The backend conformance suite of `cohttp-core` on the mock backend.

#[test]
fn conformance_mock() {
    let sim = cohttp_mock::Sim::new(7);
    let report = sim.block_on(cohttp_core::testkit::run(sim.runtime()));
    println!("{report}");
    report.assert_passed();
}
