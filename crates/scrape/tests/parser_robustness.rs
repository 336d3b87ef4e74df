//! Mutated inputs never make the parsers panic: a bounded, deterministic stand-in for the
//! cargo-fuzz targets in `fuzz/`.

use obslab_scrape::exposition::{OpenMetricsParser, TextParser, body_as_str};

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[
    b"{",
    b"}",
    b"\"",
    b"\\",
    b",",
    b"=",
    b" ",
    b"\n",
    b"#",
    b" # {",
    b"NaN",
    b"+Inf",
    b"1e9",
    b"\xe2\x98\x83",
    b"le=\"+Inf\"",
    b"_total",
    b"_bucket",
    b"# EOF",
    b"# TYPE a histogram\n",
    b"\t",
    b"\0",
];

fn mutate(rng: &mut XorShift, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        let pos = rng.below(v.len() + 1);
        match rng.below(4) {
            0 if !v.is_empty() => {
                let p = pos.min(v.len() - 1);
                v[p] = rng.next() as u8;
            }
            1 if !v.is_empty() => {
                let end = (pos + rng.below(8)).min(v.len());
                v.drain(pos.min(end)..end);
            }
            _ => {
                let ins = INTERESTING[rng.below(INTERESTING.len())];
                v.splice(pos..pos, ins.iter().copied());
            }
        }
    }
    v
}

fn run_all(bytes: &[u8]) {
    if let Ok(s) = body_as_str(bytes) {
        for e in TextParser::new(s) {
            if let Ok(obslab_scrape::exposition::Entry::Sample(x)) = e {
                let _ = x.labels();
            }
        }
        for strict in [true, false] {
            for e in OpenMetricsParser::new(s).validate_families(strict) {
                if let Ok(obslab_scrape::exposition::Entry::Sample(x)) = e {
                    let _ = x.labels();
                    if let Some(ex) = &x.exemplar {
                        let _ = ex.labels();
                    }
                }
            }
        }
    }
}

#[test]
fn mutated_conformance_inputs_never_panic() {
    let dir = obslab_testkit::conformance_dir().join("openmetrics/parsers");
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("metrics")).ok())
        .collect();
    seeds.sort();
    assert!(seeds.len() > 200);
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for i in 0..30_000 {
        let seed = &seeds[i % seeds.len()];
        run_all(&mutate(&mut rng, seed));
    }
}
