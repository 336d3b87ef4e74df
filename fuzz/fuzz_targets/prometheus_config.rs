//! Loading a prometheus.yml must fail cleanly, never panic, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = obslab_scrape::config::load_str(s);
    }
});
