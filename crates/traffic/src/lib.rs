//! Traffic generator and chaos controller for the obslab demo shop.

pub mod chaos;
pub mod cli;
