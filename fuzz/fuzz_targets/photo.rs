//! A photo as the app's photo command takes it (`src-tauri/src/photos.rs`,
//! compiled here from its own source): size, format and decoding limits
//! first, then decode, orient, scale and re-encode.
#![no_main]

#[path = "../../src-tauri/src/photos.rs"]
mod photos;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = photos::process(data);
});
