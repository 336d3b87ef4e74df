//! The OpenMetrics parser, strict and lenient, must never panic, whatever the body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use obslab_scrape::exposition::{Entry, OpenMetricsParser, body_as_str};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = body_as_str(data) {
        for strict in [true, false] {
            for e in OpenMetricsParser::new(s).validate_families(strict) {
                if let Ok(Entry::Sample(x)) = e {
                    let _ = x.labels();
                    if let Some(ex) = &x.exemplar {
                        let _ = ex.labels();
                    }
                }
            }
        }
    }
});
