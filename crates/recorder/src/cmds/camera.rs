//! `custos-recorder camera add|edit|list|remove|notice`: the cameras of the
//! site register (設置區位), with their zone, features and property number,
//! and the public list of their locations (004 §5(2)).

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use custos_core::ids::CameraId;
use custos_core::location_notice::{public_locations, to_csv, to_html};
use custos_core::site::{Camera, CameraFeatures, Zone};

use std::sync::Arc;

use super::open_data_dir;
use crate::base::error::{RecorderError, Result};
use custos_clock::Clock;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ZoneArg {
    /// 戶外公共區域
    OutdoorPublic,
    /// 室內公共區域
    IndoorPublic,
    /// 室內活動室
    ActivityRoom,
}

impl From<ZoneArg> for Zone {
    fn from(z: ZoneArg) -> Zone {
        match z {
            ZoneArg::OutdoorPublic => Zone::OutdoorPublic,
            ZoneArg::IndoorPublic => Zone::IndoorPublic,
            ZoneArg::ActivityRoom => Zone::ActivityRoom,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NoticeFormat {
    Csv,
    Html,
}

#[derive(Debug, Subcommand)]
pub enum CameraCommand {
    /// Adds a camera.
    Add {
        #[arg(long)]
        data: PathBuf,
        /// Short id used in file names, e.g. cam-01.
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// Where it hangs, in words a visitor understands.
        #[arg(long)]
        location: String,
        #[arg(long, value_enum)]
        zone: ZoneArg,
        /// The camera's RTSP address. Kept in the recorder's own
        /// configuration: no device receives it.
        #[arg(long)]
        rtsp: String,
        /// 財產編號 in the asset register.
        #[arg(long)]
        property_number: Option<String>,
        /// The camera records sound (附加收音功能).
        #[arg(long)]
        audio: bool,
        /// The picture is black and white only.
        #[arg(long)]
        monochrome: bool,
    },
    /// Changes what the register says of a camera in service. A new
    /// location or zone raises "update the public notice" (004 §5(3)).
    Edit {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: Option<String>,
        /// Where it hangs, in words a visitor understands.
        #[arg(long)]
        location: Option<String>,
        #[arg(long, value_enum)]
        zone: Option<ZoneArg>,
        /// 財產編號; an empty value clears it.
        #[arg(long)]
        property_number: Option<String>,
        /// Whether the camera records sound (附加收音功能).
        #[arg(long)]
        audio: Option<bool>,
    },
    /// Prints the public list of camera locations (locations and zones
    /// only) for the website, as CSV or as an HTML page.
    Notice {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, value_enum, default_value = "html")]
        format: NoticeFormat,
    },
    /// Lists the cameras.
    List {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Takes a camera out of service (its footage stays under retention).
    Remove {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        id: String,
    },
}

pub fn run(cmd: CameraCommand, clock: Arc<dyn Clock>) -> Result<()> {
    match cmd {
        CameraCommand::Add {
            data,
            id,
            name,
            location,
            zone,
            rtsp,
            property_number,
            audio,
            monochrome,
        } => {
            let id: CameraId = id.parse()?;
            let registers = open_data_dir(&data, &clock)?;
            let camera = Camera {
                name: name.trim().into(),
                location: location.trim().into(),
                zone: zone.into(),
                features: CameraFeatures {
                    colour: !monochrome,
                    full_angle: true,
                    time_overlay: true,
                    audio,
                },
                property_number: property_number.map(|p| p.trim().to_string()).filter(|p| !p.is_empty()),
                removed_at: None,
            };
            let writing = registers.write_blocking()?;
            writing.add_camera(&id, camera, &rtsp, clock.now())?;
            writing.settle_site_notices(clock.now())?;
            println!("Added camera {id}");
            Ok(())
        }
        CameraCommand::Edit {
            data,
            id,
            name,
            location,
            zone,
            property_number,
            audio,
        } => {
            let id: CameraId = id.parse()?;
            let registers = open_data_dir(&data, &clock)?;
            let writing = registers.write_blocking()?;
            let before = registers.site()?.camera(&id).cloned();
            let camera = writing.edit_camera(
                &id,
                |c| {
                    if let Some(name) = name {
                        c.name = name.trim().into();
                    }
                    if let Some(location) = location {
                        c.location = location.trim().into();
                    }
                    if let Some(zone) = zone {
                        c.zone = zone.into();
                    }
                    if let Some(number) = property_number {
                        c.property_number = Some(number.trim().to_string()).filter(|p| !p.is_empty());
                    }
                    if let Some(audio) = audio {
                        c.features.audio = audio;
                    }
                },
                clock.now(),
            )?;
            writing.settle_site_notices(clock.now())?;
            println!("Camera {id}: {} at {}", camera.name, camera.location);
            if before.is_some_and(|b| b.location != camera.location || b.zone != camera.zone) {
                println!(
                    "Its place changed: update the public list of camera locations (camera notice), then record it on the tablet."
                );
            }
            Ok(())
        }
        CameraCommand::Notice { data, format } => {
            let site = open_data_dir(&data, &clock)?.site()?;
            let list = public_locations(&site);
            let text = match format {
                NoticeFormat::Csv => to_csv(&list),
                NoticeFormat::Html => to_html(&site.site.name, &list, clock.now().taipei_date()),
            };
            print!("{text}");
            Ok(())
        }
        CameraCommand::List { data, json } => {
            let site = open_data_dir(&data, &clock)?.site()?;
            if json {
                let text =
                    serde_json::to_string_pretty(&site.cameras).map_err(|e| RecorderError::Usage(e.to_string()))?;
                println!("{text}");
            } else if site.cameras.is_empty() {
                println!(
                    "No cameras yet. Add one: custos-recorder camera add --data {} --id cam-01 ...",
                    data.display()
                );
            } else {
                for (id, c) in &site.cameras {
                    let state = if c.removed_at.is_some() {
                        "removed"
                    } else {
                        "in service"
                    };
                    println!("{id}\t{}\t{}\t{:?}\t{state}", c.name, c.location, c.zone);
                }
            }
            Ok(())
        }
        CameraCommand::Remove { data, id } => {
            let id: CameraId = id.parse()?;
            let registers = open_data_dir(&data, &clock)?;
            let writing = registers.write_blocking()?;
            writing.remove_camera(&id, clock.now())?;
            writing.settle_site_notices(clock.now())?;
            println!("Camera {id} is out of service; its footage stays until retention ends.");
            Ok(())
        }
    }
}
