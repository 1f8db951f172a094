//! Fuzz target `request_head`: the invariants are `cohttp_fuzz_checks::request_head`'s (see its docs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cohttp_fuzz_checks::request_head(data));
