#![no_main]
//! See `patchbay_core::fuzzing::typed`.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        patchbay_core::fuzzing::typed(text);
    }
});
