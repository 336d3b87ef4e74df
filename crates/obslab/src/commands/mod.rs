//! One module per subcommand of `obslab`.

pub mod chaos;
pub mod check;
pub mod status;
pub mod table;
pub mod test;
pub mod up;
