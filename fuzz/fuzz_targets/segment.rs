#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| chaff_tests::segment(data));
