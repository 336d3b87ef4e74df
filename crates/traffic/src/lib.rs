//! Traffic generator and chaos controller for the obslab demo shop.
//!
//! The generator ([`run`]) sends a weighted mix of shop requests at a rate that follows a shape,
//! open-model (request start times never wait for responses), only to loopback unless allowed.
//! The chaos controller ([`chaos`]) switches the demo services' faults over their `/chaos` endpoints.

pub mod chaos;
pub mod cli;
pub mod config;
pub mod duration;
pub mod mix;
pub mod placeholder;
pub mod runner;
pub mod shape;
pub mod summary;
pub mod target;

pub use config::TrafficConfig;
pub use mix::Endpoint;
pub use runner::{USER_AGENT, run};
pub use shape::Shape;
pub use summary::Summary;
