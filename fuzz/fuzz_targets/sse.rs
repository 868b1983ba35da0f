#![no_main]
//! See `patchbay_core::fuzzing::sse`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| patchbay_core::fuzzing::sse(data));
