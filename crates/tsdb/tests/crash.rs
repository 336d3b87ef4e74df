//! A child process appends and acknowledges samples from two threads, is killed with SIGKILL
//! mid-stream, and every acknowledged sample is found after reopening.

use obslab_model::{Labels, MatchOp, Matcher};
use obslab_tsdb::{Db, Options};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const ENV: &str = "OBSLAB_TSDB_CRASH_DIR";

fn labels(thread: usize) -> Labels {
    Labels::from_pairs([("__name__", "crash_test"), ("thread", &thread.to_string())])
}

/// Runs only as the child: appends until killed (bounded in count and time).
#[test]
fn crash_child_process() {
    let Ok(dir) = std::env::var(ENV) else { return };
    let db = Db::open(&dir, Options::default()).unwrap();
    let start = Instant::now();
    std::thread::scope(|s| {
        for th in 0..2usize {
            let db = &db;
            s.spawn(move || {
                let l = labels(th);
                for i in 0..200_000i64 {
                    if start.elapsed() > Duration::from_secs(60) {
                        return;
                    }
                    let mut app = db.appender();
                    app.append(&l, i * 1000, i as f64).unwrap();
                    app.commit().unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {th} {i}").unwrap();
                    out.flush().unwrap();
                }
            });
        }
    });
}

#[test]
fn sigkill_loses_no_acknowledged_sample() {
    if std::env::var(ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "crash_child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ENV, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut acked = [-1i64; 2];
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.iter().sum::<i64>() < 1500 && Instant::now() < deadline {
        let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) else {
            continue;
        };
        let p: Vec<&str> = line.split_whitespace().collect();
        if p.len() == 3 && p[0] == "ACK" {
            acked[p[1].parse::<usize>().unwrap()] = p[2].parse().unwrap();
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Acknowledgements printed before the kill still count.
    while let Ok(line) = rx.try_recv() {
        let p: Vec<&str> = line.split_whitespace().collect();
        if p.len() == 3 && p[0] == "ACK" {
            acked[p[1].parse::<usize>().unwrap()] = p[2].parse().unwrap();
        }
    }
    reader.join().unwrap();
    assert!(acked.iter().all(|a| *a > 0), "child made progress: {acked:?}");

    let db = Db::open(
        dir.path(),
        Options {
            background_compaction: false,
            ..Options::default()
        },
    )
    .unwrap();
    for (th, &last) in acked.iter().enumerate() {
        let m = Matcher::new(MatchOp::Equal, "thread", th.to_string()).unwrap();
        let got = db.querier(i64::MIN, i64::MAX).select(&[m]).unwrap();
        assert_eq!(got.len(), 1);
        let samples = got[0].samples();
        assert!(
            samples.len() as i64 > last,
            "thread {th}: acknowledged {} samples, found {}",
            last + 1,
            samples.len()
        );
        for (i, s) in samples.iter().enumerate() {
            assert_eq!((s.t, s.v), (i as i64 * 1000, i as f64));
        }
    }
}
