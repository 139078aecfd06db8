//! Tauri commands, one per thing the UI asks. Each is thin: parse, call
//! `custos-core`, return.

use serde::Serialize;

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub core_version: String,
    /// The built-in policy profiles this build knows.
    pub profiles: Vec<String>,
}

/// What this build is: shown on the home screen and in bug reports.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        core_version: custos_core::VERSION.to_owned(),
        profiles: custos_core::policy::BUILTIN_PROFILES
            .iter()
            .map(|p| p.to_string())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use tauri::ipc::{CallbackFn, InvokeBody};
    use tauri::test::{INVOKE_KEY, get_ipc_response, mock_builder};
    use tauri::webview::InvokeRequest;

    #[test]
    fn app_info_answers_over_ipc_with_the_builtin_profiles() {
        let app = crate::with_commands(mock_builder())
            .build(tauri::generate_context!())
            .expect("app builds");
        let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
            .build()
            .unwrap();
        let request = |url: &str| InvokeRequest {
            cmd: "app_info".into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: url.parse().unwrap(),
            body: InvokeBody::default(),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        // A page from elsewhere loaded into the window may not call the app.
        let refused = get_ipc_response(&webview, request("https://example.invalid/")).unwrap_err();
        assert!(refused.to_string().contains("not allowed"), "{refused}");
        let response = get_ipc_response(&webview, request("tauri://localhost")).expect("the command answers");
        let info: serde_json::Value = response.deserialize().unwrap();
        assert_eq!(info["profiles"][0], "kaohsiung-kindergarten");
        assert_eq!(info["coreVersion"], custos_core::VERSION);
    }
}
