//! Any bytes as a message log: see `orch_fuzz::messages`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orch_fuzz::messages(data));
