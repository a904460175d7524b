//! Any bytes as a plan: see `orch_fuzz::plan`.

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| orch_fuzz::plan(data));
