use super::*;
use std::sync::Arc;

fn rec(i: usize, len: usize) -> Vec<u8> {
    (0..len).map(|k| ((i * 31 + k) % 251) as u8).collect()
}

fn read_all(dir: &std::path::Path) -> (Vec<Vec<u8>>, Option<Corruption>) {
    let mut out = Vec::new();
    for s in list_segments(dir).unwrap() {
        let r = read_segment(&dir.join(segment_name(s)), s).unwrap();
        out.extend(r.records);
        if r.corruption.is_some() {
            return (out, r.corruption);
        }
    }
    (out, None)
}

#[test]
fn header_bytes_match_the_wlog_layout() {
    let d = tempfile::tempdir().unwrap();
    let w = Wal::open(d.path(), DEFAULT_SEGMENT_SIZE).unwrap();
    w.log(&[b"abc".to_vec()]).unwrap();
    let b = std::fs::read(d.path().join("00000000")).unwrap();
    let crc = crate::encoding::crc32(b"abc").to_be_bytes();
    assert_eq!(&b[..3], &[REC_FULL, 0, 3]);
    assert_eq!(&b[3..7], &crc);
    assert_eq!(&b[7..], b"abc");
}

#[test]
fn fragments_pages_and_segments_round_trip() {
    let d = tempfile::tempdir().unwrap();
    let w = Wal::open(d.path(), 3 * PAGE_SIZE).unwrap();
    let mut want = Vec::new();
    for i in 0..60 {
        let r = rec(i, [0, 10, 5000, 40_000, 70_000][i % 5]);
        w.log(std::slice::from_ref(&r)).unwrap();
        want.push(r);
    }
    w.close().unwrap();
    assert!(list_segments(d.path()).unwrap().len() > 3);
    let (got, c) = read_all(d.path());
    assert!(c.is_none(), "{c:?}");
    assert_eq!(got.len(), want.len());
    assert!(got == want);
    // Reopening starts a new segment after the last one.
    let last = *list_segments(d.path()).unwrap().last().unwrap();
    let w2 = Wal::open(d.path(), 3 * PAGE_SIZE).unwrap();
    assert_eq!(w2.current_segment(), last + 1);
}

#[test]
fn compressed_records_round_trip_and_mix_with_plain_ones() {
    let d = tempfile::tempdir().unwrap();
    let w = Wal::open(d.path(), 3 * PAGE_SIZE).unwrap().with_compression(true);
    let mut want = Vec::new();
    for i in 0..40 {
        let r: Vec<u8> = std::iter::repeat_n((i % 7) as u8, [10, 5000, 70_000][i % 3]).collect();
        w.log(std::slice::from_ref(&r)).unwrap();
        want.push(r);
    }
    drop(w);
    let b = std::fs::read(d.path().join("00000000")).unwrap();
    assert_eq!(b[0], REC_FULL | SNAPPY_MASK);
    let w = Wal::open(d.path(), 3 * PAGE_SIZE).unwrap();
    w.log(&[b"plain".to_vec()]).unwrap();
    want.push(b"plain".to_vec());
    let (got, c) = read_all(d.path());
    assert!(c.is_none());
    assert!(got == want);
}

#[test]
fn torn_tail_is_detected_and_repaired() {
    let d = tempfile::tempdir().unwrap();
    let w = Wal::open(d.path(), DEFAULT_SEGMENT_SIZE).unwrap();
    let recs: Vec<Vec<u8>> = (0..20).map(|i| rec(i, 3000 + i * 100)).collect();
    for r in &recs {
        w.log(std::slice::from_ref(r)).unwrap();
    }
    drop(w);
    let p = d.path().join("00000000");
    let full = std::fs::metadata(&p).unwrap().len();
    for cut in [full - 1, full - 3000, full / 2, 5] {
        let dir = tempfile::tempdir().unwrap();
        let q = dir.path().join("00000000");
        std::fs::copy(&p, &q).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&q)
            .unwrap()
            .set_len(cut)
            .unwrap();
        let (got, c) = read_all(dir.path());
        let c = c.expect("damage found");
        assert!(recs.starts_with(&got));
        let msg = repair(dir.path(), &c).unwrap();
        assert!(msg.contains("truncated"), "{msg}");
        let (again, c2) = read_all(dir.path());
        assert!(c2.is_none());
        assert_eq!(again, got);
        let w = Wal::open(dir.path(), DEFAULT_SEGMENT_SIZE).unwrap();
        w.log(&[b"after".to_vec()]).unwrap();
        let (after, c3) = read_all(dir.path());
        assert!(c3.is_none());
        assert_eq!(after.len(), got.len() + 1);
    }
}

#[test]
fn flipped_byte_fails_checksum_and_later_segments_are_dropped() {
    let d = tempfile::tempdir().unwrap();
    let w = Wal::open(d.path(), 2 * PAGE_SIZE).unwrap();
    for i in 0..60 {
        w.log(&[rec(i, 4000)]).unwrap();
    }
    drop(w);
    let segs = list_segments(d.path()).unwrap();
    assert!(segs.len() >= 3);
    let p = d.path().join(segment_name(segs[1]));
    let mut b = std::fs::read(&p).unwrap();
    b[4100] ^= 0x55;
    std::fs::write(&p, b).unwrap();
    let (_, c) = read_all(d.path());
    let c = c.unwrap();
    assert_eq!(c.segment, segs[1]);
    assert!(c.msg.contains("checksum"), "{}", c.msg);
    repair(d.path(), &c).unwrap();
    assert_eq!(list_segments(d.path()).unwrap(), vec![segs[0], segs[1]]);
}

#[test]
fn concurrent_commits_share_fsyncs_and_all_land() {
    let d = tempfile::tempdir().unwrap();
    let w = Arc::new(Wal::open(d.path(), DEFAULT_SEGMENT_SIZE).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let w = w.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    w.log(&[rec(t * 1000 + i, 100)]).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(w.fsync_count() <= 200);
    let (got, c) = read_all(d.path());
    assert!(c.is_none());
    assert_eq!(got.len(), 200);
}

#[test]
fn checkpoint_replaces_old_segments() {
    let d = tempfile::tempdir().unwrap();
    let w = Wal::open(d.path(), DEFAULT_SEGMENT_SIZE).unwrap();
    w.log(&[b"old".to_vec()]).unwrap();
    let closed = w.cut_segment().unwrap();
    w.log(&[b"new".to_vec()]).unwrap();
    let cp = write_checkpoint(d.path(), closed, &[b"kept".to_vec()]).unwrap();
    assert_eq!(last_checkpoint(d.path()).unwrap(), Some(cp.clone()));
    assert_eq!(list_segments(d.path()).unwrap(), vec![closed + 1]);
    let r = read_segment(&cp.dir.join("00000000"), 0).unwrap();
    assert_eq!(r.records, vec![b"kept".to_vec()]);
}
