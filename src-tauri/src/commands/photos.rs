//! Photos of faults and repairs: taken as raw bytes, stripped, shrunk and
//! kept for upload.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Serialize;
use tauri::{Runtime, State};

use super::error::{CommandError, ErrorKind, Result};
use crate::device::ThisDevice;

/// A photo's bytes as the raw request body (a JSON array of numbers would
/// be four times the size); `None` when the body was not raw bytes.
pub struct PhotoBytes(Option<Vec<u8>>);

impl<'a, R: Runtime> tauri::ipc::CommandArg<'a, R> for PhotoBytes {
    fn from_command(command: tauri::ipc::CommandItem<'a, R>) -> std::result::Result<Self, tauri::ipc::InvokeError> {
        let request = tauri::ipc::Request::from_command(command)?;
        Ok(PhotoBytes(match request.body() {
            tauri::ipc::InvokeBody::Raw(bytes) => Some(bytes.clone()),
            _ => None,
        }))
    }
}

/// Not a JSON argument: the UI sends it as the body (`api.ts`, `addPhoto`).
impl specta::function::FunctionArg for PhotoBytes {
    fn to_datatype(_: &mut specta::Types) -> Option<specta::datatype::DataType> {
        None
    }
}

#[derive(Debug, Serialize, specta::Type)]
pub struct PhotoView {
    pub sha256: String,
    /// The 320 px thumbnail as a data: URL, to show at once.
    pub thumbnail: String,
    pub width: u32,
    pub height: u32,
}

/// Takes a photo's bytes (the raw request body), strips its metadata,
/// shrinks it, and keeps it for upload; answers with its name and thumbnail.
#[tauri::command]
#[specta::specta]
pub fn add_photo(device: State<'_, ThisDevice>, body: PhotoBytes) -> Result<PhotoView> {
    let Some(bytes) = body.0 else {
        return Err(CommandError::new(
            ErrorKind::Photo,
            "send the photo's bytes as the request body",
        ));
    };
    let photo = crate::photos::process(&bytes).map_err(|e| CommandError::new(ErrorKind::Photo, e))?;
    crate::store::lock(&device.store).put_photo(&photo)?;
    Ok(PhotoView {
        thumbnail: format!("data:image/jpeg;base64,{}", B64.encode(&photo.thumbnail)),
        sha256: photo.sha256,
        width: photo.width,
        height: photo.height,
    })
}

/// A photo or scan by its SHA-256 as a data: URL: from this device when it
/// took it, otherwise from the recorder (online, and only for whom may see
/// a record that refers to it). Nothing fetched is kept on the device.
#[tauri::command]
#[specta::specta]
pub async fn photo(device: State<'_, ThisDevice>, sha256: String) -> Result<String> {
    let bad = || CommandError::new(ErrorKind::Invalid, "a photo is named by its SHA-256: 64 hex digits");
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad());
    }
    let local = crate::store::lock(&device.store).photo_jpeg(&sha256)?;
    let bytes = match local {
        Some(jpeg) => jpeg,
        None => device.client().await?.blob(&sha256, device.clock.now().0).await?,
    };
    let media_type = match image::guess_format(&bytes) {
        Ok(image::ImageFormat::Jpeg) => "image/jpeg",
        Ok(image::ImageFormat::Png) => "image/png",
        Ok(image::ImageFormat::WebP) => "image/webp",
        _ => return Err(CommandError::new(ErrorKind::Photo, "the stored photo is not an image")),
    };
    Ok(format!("data:{media_type};base64,{}", B64.encode(bytes)))
}
