//! Durable file replacement: write a temporary file, fsync it, rename it over the target and
//! fsync the directory, so a crash leaves either the old or the new content.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::Path;

pub fn write_atomic(tmp: &Path, dst: &Path, body: &[u8]) -> Result<()> {
    let ctx = format!("writing {}", dst.display());
    let mut f = std::fs::File::create(tmp).map_err(Error::io(ctx.clone()))?;
    f.write_all(body).map_err(Error::io(ctx.clone()))?;
    f.sync_all().map_err(Error::io(ctx.clone()))?;
    std::fs::rename(tmp, dst).map_err(Error::io(ctx))?;
    if let Some(parent) = dst.parent() {
        sync_dir(parent)?;
    }
    Ok(())
}

pub fn sync_dir(dir: &Path) -> Result<()> {
    let d = std::fs::File::open(dir).map_err(Error::io(format!("opening {}", dir.display())))?;
    d.sync_all()
        .map_err(Error::io(format!("syncing {}", dir.display())))
}

/// Total size of the regular files under `dir`.
pub fn dir_size(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.filter_map(|e| e.ok())
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// An exclusive advisory lock on `dir/lock` (like Prometheus's), released when dropped or when
/// the process dies, so two processes never write one data directory.
#[derive(Debug)]
pub struct DirLock {
    _file: std::fs::File,
}

impl DirLock {
    pub fn acquire(dir: &Path) -> Result<Self> {
        use std::os::fd::AsRawFd;
        let p = dir.join("lock");
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(Error::io(format!("opening {}", p.display())))?;
        // SAFETY: flock on a file descriptor we own; no memory is involved.
        let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if rc != 0 {
            return Err(Error::Locked(dir.display().to_string()));
        }
        Ok(Self { _file: f })
    }
}
