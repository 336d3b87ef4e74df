//! The text-format parser must never panic, whatever the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obslab_scrape::exposition::{Entry, TextParser, body_as_str};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = body_as_str(data) {
        for e in TextParser::new(s) {
            if let Ok(Entry::Sample(x)) = e {
                let _ = x.labels();
            }
        }
    }
});
