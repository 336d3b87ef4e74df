//! Helpers for obslab's integration tests: free loopback ports, child processes that are killed
//! when the test ends, and waiting for a server to answer.

pub mod http;
pub mod otlp;

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A loopback port that was free a moment ago (the OS picks it; the listener is dropped).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral loopback port")
}

/// A child process that is killed (with its process group) when dropped, so a failing test never
/// leaves servers behind.
pub struct ChildGuard {
    pub child: Child,
}

impl ChildGuard {
    /// Starts `program args...` in its own process group with stdout/stderr inherited.
    pub fn spawn(program: impl AsRef<Path>, args: &[&str]) -> std::io::Result<Self> {
        Self::spawn_cmd(Command::new(program.as_ref()).args(args))
    }

    /// Starts a prepared command in its own process group.
    pub fn spawn_cmd(cmd: &mut Command) -> std::io::Result<Self> {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0).stdin(Stdio::null());
        Ok(Self { child: cmd.spawn()? })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal to the process (not its group).
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) with a pid we own has no memory-safety preconditions.
        unsafe {
            libc_kill(self.child.id() as i32, sig);
        }
    }

    /// Waits up to `timeout` for the process to exit; returns its status if it did.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(st)) = self.child.try_wait() {
                return Some(st);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: as above; a negative pid addresses the process group we created.
            unsafe {
                libc_kill(-(self.child.id() as i32), 9);
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

unsafe extern "C" {
    #[link_name = "kill"]
    fn libc_kill(pid: i32, sig: i32) -> i32;
}

pub const SIGTERM: i32 = 15;
pub const SIGKILL: i32 = 9;
pub const SIGINT: i32 = 2;

/// Polls `f` every 50 ms until it returns true or `timeout` passes; returns whether it did.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// True once something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200)).is_ok()
}

/// The conformance data shared beside the repository (`../shared/conformance`), or the folder
/// named by `OBSLAB_CONFORMANCE`.
pub fn conformance_dir() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("OBSLAB_CONFORMANCE") {
        return p.into();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance")
}
