//! Fuzz target `chunked`: the invariants are `cohttp_fuzz_checks::chunked`'s (see its docs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cohttp_fuzz_checks::chunked(data));
