//! `custos-recorder init`: makes a data directory: the database, the site's
//! Ed25519 key, a self-signed TLS certificate (whose fingerprint devices
//! pin) and the site document with its policy profile.

use std::path::PathBuf;

use clap::Args;
use custos_core::policy::PolicyProfile;
use custos_core::seeds::BUILTIN_PROFILES;

use std::sync::Arc;

use crate::base::error::{RecorderError, Result};
use crate::base::keys::{create_site_key, create_tls_certificate};
use crate::db::Store;
use crate::registers::Registers;
use custos_clock::Clock;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The data directory to create (it must not exist, or be empty).
    #[arg(long)]
    pub data: PathBuf,
    /// The institution's name as on its forms, e.g. 高雄市立某某幼兒園.
    #[arg(long)]
    pub site: String,
    /// A built-in profile (kaohsiung-kindergarten, dahu-office,
    /// wanhua-household) or the path of a custom profile (JSON).
    #[arg(long)]
    pub profile: String,
    /// Retention floor in days. Required where the regulation names none (大湖);
    /// elsewhere it may only raise the profile's floor.
    #[arg(long)]
    pub floor_days: Option<u32>,
    /// The address devices use to reach this recorder.
    #[arg(long, default_value = "https://127.0.0.1:7443")]
    pub address: String,
    /// Extra host names or IP addresses for the TLS certificate.
    #[arg(long = "host")]
    pub hosts: Vec<String>,
}

pub fn run(args: InitArgs, clock: Arc<dyn Clock>) -> Result<()> {
    // Everything that can be checked is checked before anything is written.
    let profile = match PolicyProfile::builtin(&args.profile) {
        Some(p) => p,
        None if args.profile.ends_with(".json") || std::path::Path::new(&args.profile).is_file() => {
            let text = std::fs::read_to_string(&args.profile)
                .map_err(|e| RecorderError::file(std::path::Path::new(&args.profile), e))?;
            PolicyProfile::from_json_strict(&text)?
        }
        None => {
            return Err(RecorderError::Usage(format!(
                "no profile {:?}: use one of {} or the path of a custom profile (.json)",
                args.profile,
                BUILTIN_PROFILES.join(", ")
            )));
        }
    };
    let profile = profile.with_floor(args.floor_days)?;
    let retention = profile.effective_retention()?;
    if args.site.trim().is_empty() {
        return Err(RecorderError::Usage("the site needs a name (--site)".into()));
    }
    let url = args.address.trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .ok_or_else(|| RecorderError::Usage(format!("--address {url:?} must start with https://")))?
        .rsplit_once(':')
        .map_or(url, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();

    let data = &args.data;
    let existed = data.exists();
    if existed
        && std::fs::read_dir(data)
            .map_err(|e| RecorderError::file(data, e))?
            .next()
            .is_some()
    {
        return Err(RecorderError::Usage(format!(
            "{} is not empty; init makes a new data directory and never overwrites one",
            data.display()
        )));
    }
    std::fs::create_dir_all(data).map_err(|e| RecorderError::file(data, e))?;
    // The directory will hold personal data and keys: the owner only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| RecorderError::file(data, e))?;
    }
    let made = (|| -> Result<String> {
        let store = Store::create(data)?;
        let site_key = create_site_key(data)?;
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "::1".to_string(),
            host.clone(),
        ];
        names.extend(args.hosts.iter().cloned());
        names.sort();
        names.dedup();
        let fingerprint = create_tls_certificate(data, names)?;
        store.set_setting("address", url)?;
        store.set_setting("fingerprint", &fingerprint)?;
        let registers = Registers::new(Arc::new(store), Arc::new(site_key), clock.clone());
        registers
            .write_blocking()?
            .create_site(&args.site, &profile, clock.now())?;
        Ok(fingerprint)
    })();
    let fingerprint = match made {
        Ok(f) => f,
        Err(e) => {
            // Leave nothing half-made behind.
            if existed {
                for entry in std::fs::read_dir(data).into_iter().flatten().flatten() {
                    let _ = std::fs::remove_file(entry.path());
                }
            } else {
                let _ = std::fs::remove_dir_all(data);
            }
            return Err(e);
        }
    };
    println!(
        "Initialised {} for {} ({})",
        data.display(),
        args.site.trim(),
        profile.id
    );
    println!(
        "Footage kept at least {} days, destroyed after {} days unless held.",
        retention.floor_days, retention.ceiling_days
    );
    println!("Recorder address: {url}");
    println!("TLS certificate SHA-256 fingerprint: {fingerprint}");
    println!(
        "Next: custos-recorder person add --data {} --name NAME --role manager",
        data.display()
    );
    Ok(())
}
