//! One module per subcommand.

pub mod profile;
