//! One supervised child process: spawn it, copy its output to its log file, restart it with
//! backoff when it exits, and stop it with SIGTERM then SIGKILL when the lab shuts down.

use super::backoff::Backoff;
use super::logfile::{LogFile, Stream, pump, supervisor_line};
use super::spawner::{Spawner, prepare_child};
use super::state::Shared;
use super::status::Health;
use super::{ProcessSpec, Timing};
use serde_json::{Map, Value};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::BufReader;
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

/// Everything one supervision loop needs.
pub struct Supervised {
    pub idx: usize,
    pub spec: ProcessSpec,
    pub log: LogFile,
    pub shared: Arc<Shared>,
    pub spawner: Spawner,
    pub timing: Timing,
    pub shutdown: CancellationToken,
    /// Restarts so far.
    pub restarts: u32,
}

impl Supervised {
    /// Runs the child until shutdown, restarting it whenever it exits.
    pub async fn run(mut self) {
        let name = self.spec.name.clone();
        let mut backoff = Backoff::new(
            self.timing.restart_backoff_initial,
            self.timing.restart_backoff_max,
            self.timing.restart_backoff_reset,
        );
        loop {
            if self.shutdown.is_cancelled() {
                break;
            }
            let outcome = match self.spawner.spawn(self.command()).await {
                Ok(child) => self.watch(child).await,
                Err(e) => Outcome::Exited(format!("failed to start: {e}")),
            };
            let exit = match outcome {
                Outcome::Stopped(exit) => {
                    self.shared.component(self.idx, |c, _| {
                        c.pid = None;
                        c.health = Health::Stopped;
                        c.last_exit = exit;
                    });
                    return;
                }
                Outcome::Exited(exit) => exit,
            };
            let healthy_for = self.shared.component(self.idx, |_, t| t.healthy_for());
            let delay = backoff.next_delay(healthy_for);
            let restarts = self.restarts + 1;
            let delay_ms = delay.as_millis() as u64;
            eprintln!(
                "obslab: {name} exited ({exit}); restarting in {} (restart {restarts})",
                obslab_model::format_duration(delay)
            );
            // The log line goes first, so that whoever sees the new count in the status file
            // also finds the record in the log.
            let mut fields = Map::new();
            fields.insert("exit_status".into(), Value::from(exit.clone()));
            fields.insert("restarts".into(), Value::from(restarts));
            fields.insert("backoff_ms".into(), Value::from(delay_ms));
            self.log.write_line(&supervisor_line(
                &name,
                "warn",
                &format!("{name} exited ({exit}); restarting"),
                fields,
            ));
            self.restarts = restarts;
            self.shared.component(self.idx, |c, t| {
                c.pid = None;
                c.health = Health::Restarting;
                c.restarts = restarts;
                c.last_exit = Some(exit);
                *t = Default::default();
            });
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = self.shutdown.cancelled() => break,
            }
        }
        self.shared.component(self.idx, |c, _| {
            c.pid = None;
            c.health = Health::Stopped;
        });
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.spec.program);
        cmd.args(&self.spec.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(false);
        prepare_child(&mut cmd);
        cmd
    }

    /// Waits for the child to exit or for shutdown; copies its output meanwhile.
    async fn watch(&self, mut child: Child) -> Outcome {
        let pid = child.id();
        self.shared.component(self.idx, |c, t| {
            c.pid = pid;
            c.health = Health::Starting;
            *t = Default::default();
        });
        let mut pumps = Vec::new();
        if let Some(out) = child.stdout.take() {
            let (name, log) = (self.spec.name.clone(), self.log.clone());
            pumps.push(tokio::spawn(pump(BufReader::new(out), name, Stream::Stdout, log)));
        }
        if let Some(err) = child.stderr.take() {
            let (name, log) = (self.spec.name.clone(), self.log.clone());
            pumps.push(tokio::spawn(pump(BufReader::new(err), name, Stream::Stderr, log)));
        }
        let outcome = tokio::select! {
            status = child.wait() => Outcome::Exited(describe(status)),
            _ = self.shutdown.cancelled() => {
                Outcome::Stopped(Some(terminate(&mut child, self.timing.shutdown_timeout).await))
            }
        };
        // The pipes close when the child exits; give the readers a moment to write the last lines.
        for p in pumps {
            let _ = tokio::time::timeout(Duration::from_millis(500), p).await;
        }
        outcome
    }
}

enum Outcome {
    /// The child ended on its own (crash, exit, killed from outside).
    Exited(String),
    /// The child was stopped for shutdown.
    Stopped(Option<String>),
}

fn describe(status: std::io::Result<ExitStatus>) -> String {
    match status {
        Ok(s) => s.to_string(),
        Err(e) => format!("wait failed: {e}"),
    }
}

/// SIGTERM, then SIGKILL after `timeout`; returns how the child ended.
pub async fn terminate(child: &mut Child, timeout: Duration) -> String {
    if let Some(pid) = child.id().and_then(|p| libc::pid_t::try_from(p).ok()) {
        // SAFETY: kill(2) on our own child, which has not been reaped yet (id() is Some).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => describe(status),
        Err(_) => {
            let _ = child.start_kill();
            format!(
                "{} (killed after {}ms)",
                describe(child.wait().await),
                timeout.as_millis()
            )
        }
    }
}
