//! Fuzz target `server_connection`: the invariants are `cohttp_fuzz_checks::server_connection`'s (see its docs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cohttp_fuzz_checks::server_connection(data));
