//! `cargo xtask fuzz [SECONDS]`: Schemathesis against a real recorder on
//! loopback, then each cargo-fuzz target in `fuzz/` for SECONDS (600 by
//! default): the sync message, the push body, the photo pipeline.

use std::process::Command;

use crate::{Result, fresh_site, root, run, target_dir};

/// Python packages `fuzz` needs, installed with pip when missing.
const PYTHON_PACKAGES: &[(&str, &str)] = &[
    ("schemathesis", "schemathesis"),
    ("cryptography", "cryptography"),
    ("requests", "requests"),
    ("openapi_spec_validator", "openapi-spec-validator"),
];

/// The cargo-fuzz targets in `fuzz/fuzz_targets`.
const TARGETS: &[&str] = &["sync_message", "push_body", "photo"];

/// Schemathesis, then every cargo-fuzz target for `seconds`.
pub fn fuzz(seconds: u64) -> Result {
    schemathesis()?;
    targets(seconds)
}

/// Each cargo-fuzz target for `seconds`, on the stable toolchain: with
/// `--sanitizer none` cargo-fuzz passes rustc only stable flags (the
/// sanitizer-coverage pass and its LLVM options); AddressSanitizer would
/// need `-Zsanitizer`, a nightly flag, and safe Rust needs none: what is
/// sought is a panic, an abort or an allocation past libFuzzer's 2 GiB
/// limit. Crashes land in `fuzz/artifacts/<target>/`.
fn targets(seconds: u64) -> Result {
    let root = root();
    let installed = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        run(&root, "cargo", &["install", "cargo-fuzz", "--locked"])?;
    }
    let fuzz_dir = root.join("fuzz");
    let corpus_root = target_dir(&root).join("fuzz/corpus");
    for target in TARGETS {
        eprintln!("\n==> cargo fuzz run {target} for {seconds} s");
        let corpus = corpus_root.join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        // Real pictures to start from: a whole PNG is hard to reach by mutation.
        if *target == "photo" {
            let _ = std::fs::copy(root.join("src-tauri/icons/icon.png"), corpus.join("icon.png"));
        }
        let status = Command::new("cargo")
            .args(["fuzz", "run", "--sanitizer", "none", "--release", target])
            .arg(&corpus)
            .args([
                "--",
                &format!("-max_total_time={seconds}"),
                "-rss_limit_mb=2048",
                "-max_len=1048576",
                "-print_final_stats=1",
            ])
            .current_dir(&fuzz_dir)
            .env("CARGO_TARGET_DIR", target_dir(&root).join("fuzz/build"))
            .status()
            .map_err(|e| format!("could not start cargo fuzz: {e}"))?;
        if !status.success() {
            return Err(format!(
                "cargo fuzz found a crash in {target}: see fuzz/artifacts/{target}/"
            ));
        }
    }
    Ok(())
}

/// Schemathesis against a real recorder on loopback: once without
/// credentials, once signed in as an enrolled device (the hook in
/// xtask/fuzz). Fails on any 5xx or any response that breaks the API's schema.
fn schemathesis() -> Result {
    let root = root();
    let missing: Vec<&str> = PYTHON_PACKAGES
        .iter()
        .filter(|(module, _)| {
            !Command::new("python3")
                .args(["-c", &format!("import {module}")])
                .status()
                .is_ok_and(|s| s.success())
        })
        .map(|(_, package)| *package)
        .collect();
    if !missing.is_empty() {
        let mut args = vec!["-m", "pip", "install", "--quiet"];
        args.extend(missing.iter().copied());
        run(&root, "python3", &args)?;
    }
    run(&root, "cargo", &["build", "-p", "custos-recorder"])?;
    let target = target_dir(&root);
    let recorder = target.join("debug/custos-recorder");
    let recorder = recorder.to_str().unwrap();
    let data = fresh_site(&root, recorder, &target.join("fuzz/recorder"), "模糊測試幼兒園")?;
    let data_s = data.to_str().unwrap();
    run(
        &root,
        recorder,
        &[
            "person",
            "add",
            "--data",
            data_s,
            "--name",
            "測試經理",
            "--role",
            "manager",
            "--role",
            "head",
        ],
    )?;
    let mut serve = Command::new(recorder)
        .args(["serve", "--data", data_s, "--listen", "127.0.0.1:0", "--no-recording"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("could not start the recorder: {e}"))?;
    let result = (|| -> Result {
        use std::io::BufRead;
        let stdout = serve.stdout.take().ok_or("no stdout from the recorder")?;
        let mut lines = std::io::BufReader::new(stdout).lines();
        let base = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(addr) = line.strip_prefix("listening on ") {
                        break addr.to_string();
                    }
                }
                _ => return Err("the recorder stopped before listening".into()),
            }
        };
        std::thread::spawn(move || for _ in lines {});
        let ca = data.join("tls-cert.pem");
        let ca = ca.to_str().unwrap();
        let schema = format!("{base}/v1/openapi.json");
        let checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";
        let st = |code: Option<&str>| -> Result {
            let label = if code.is_some() {
                "with a device token"
            } else {
                "without credentials"
            };
            eprintln!("\n==> schemathesis {label}");
            let mut cmd = Command::new("st");
            cmd.args([
                "run",
                &schema,
                "--tls-verify",
                ca,
                "--checks",
                checks,
                "--max-examples",
                "25",
            ])
            .current_dir(root.join("xtask/fuzz"))
            .env("PYTHONPATH", ".")
            .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
            .env("CUSTOS_BASE_URL", &base)
            .env("CUSTOS_CA", ca);
            if let Some(code) = code {
                cmd.env("CUSTOS_ENROLL_CODE", code);
            }
            let status = cmd
                .status()
                .map_err(|e| format!("could not start schemathesis (st): {e}"))?;
            if status.success() {
                Ok(())
            } else {
                Err(format!("schemathesis {label} found failures"))
            }
        };
        eprintln!("\n==> the OpenAPI document against the OpenAPI schema");
        run(&root.join("xtask/fuzz"), "python3", &["validate_openapi.py", &base, ca])?;
        st(None)?;
        let out = Command::new(recorder)
            .args(["enroll", "--data", data_s, "--person", "測試經理", "--quiet"])
            .output()
            .map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&out.stdout);
        let code = text
            .split("\"code\":\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .ok_or_else(|| format!("no enrollment code in {text:?}"))?
            .to_string();
        st(Some(&code))
    })();
    let _ = serve.kill();
    let _ = serve.wait();
    result
}
