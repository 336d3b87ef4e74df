//! Fault injection: the `/chaos` endpoints, the middleware that applies slow and error faults to
//! the application routes, the DB delay, and the memory leak.

pub mod config;
pub mod leak;
pub mod middleware;
pub mod routes;
pub mod state;

pub use config::InitialFaults;
pub use state::ChaosState;
