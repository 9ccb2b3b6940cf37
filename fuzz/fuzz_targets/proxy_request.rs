#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    selfsign_fuzz::forwarding::request(data);
});
