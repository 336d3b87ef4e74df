//! Child processes are forked from one dedicated thread that lives as long as the supervisor.
//!
//! Linux delivers `PR_SET_PDEATHSIG` when the *thread* that forked the child ends, not when the
//! process does. Forking from a tokio worker or blocking-pool thread (which the runtime may retire
//! when idle) would therefore kill healthy children at random; one long-lived thread avoids that,
//! while children still receive SIGTERM as soon as the supervisor process dies, even by SIGKILL.

use std::io;
use std::sync::mpsc;
use tokio::process::{Child, Command};
use tokio::sync::oneshot;

struct Request {
    cmd: Command,
    reply: oneshot::Sender<io::Result<Child>>,
}

/// Hands commands to the spawning thread.
#[derive(Clone)]
pub struct Spawner {
    tx: mpsc::Sender<Request>,
}

impl Spawner {
    /// Starts the spawning thread inside the given runtime, so that tokio reaps the children.
    pub fn start(handle: tokio::runtime::Handle) -> io::Result<Self> {
        let (tx, rx) = mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("obslab-spawner".into())
            .spawn(move || {
                let _guard = handle.enter();
                for mut req in rx {
                    let _ = req.reply.send(req.cmd.spawn());
                }
                // Children forked here must keep their parent thread until the process exits.
                loop {
                    std::thread::park();
                }
            })?;
        Ok(Self { tx })
    }

    /// Spawns `cmd` (prepared with [`prepare_child`]) from the spawning thread.
    pub async fn spawn(&self, cmd: Command) -> io::Result<Child> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Request { cmd, reply })
            .map_err(|_| io::Error::other("the spawning thread has stopped"))?;
        rx.await
            .map_err(|_| io::Error::other("the spawning thread has stopped"))?
    }
}

/// Makes a child die with the supervisor and keeps it out of the terminal's process group, so that
/// Ctrl-C reaches only the supervisor, which then stops the children in order.
pub fn prepare_child(cmd: &mut Command) {
    let supervisor = std::process::id() as libc::pid_t;
    cmd.process_group(0);
    // SAFETY: the closure runs between fork and exec and only calls prctl(2) and getppid(2), both
    // async-signal-safe, and builds an io::Error from a raw code without allocating.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The supervisor may have died between fork and prctl: then no signal would come.
            if libc::getppid() != supervisor {
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            Ok(())
        });
    }
}
