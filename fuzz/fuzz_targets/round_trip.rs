//! Fuzz target `round_trip`: the invariants are `cohttp_fuzz_checks::round_trip`'s (see its docs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cohttp_fuzz_checks::round_trip(data));
