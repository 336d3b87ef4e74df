//! Alertmanager-compatible alert handling for obslab: the `alertmanager.yml` configuration, the
//! routing tree, alert grouping with notification timers, inhibition and silences.
//!
//! Everything here is in-memory, synchronous logic driven by an explicit clock, so that the
//! notification pipeline and the HTTP API can be built on top of it and tested deterministically.

pub mod alert;
pub mod config;
pub mod dispatch;
pub mod inhibit;
pub mod route;
pub mod silence;

pub use alert::Alert;
pub use config::{Config, ConfigError, load_file, load_str};
pub use dispatch::{ConfigPolicy, Dispatcher, FlushPolicy, Notification};
pub use inhibit::Inhibitor;
pub use route::{Route, RouteMatch};
pub use silence::{Silence, SilenceState, Silences};
