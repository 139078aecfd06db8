//! One module per subcommand.

pub mod audit;
pub mod camera;
pub mod enroll;
pub mod footage;
pub mod hold;
pub mod init;
pub mod person;
pub mod profile;
pub mod retention;
pub mod serve;
pub mod site;

use std::path::Path;

use custos_core::signing::DeviceKey;

use crate::error::Result;
use crate::keys::load_site_key;
use crate::store::Store;

/// The store and site key of an initialised data directory.
pub fn open_data_dir(data: &Path) -> Result<(Store, DeviceKey)> {
    let store = Store::open(data)?;
    let key = load_site_key(data)?;
    Ok((store, key))
}
