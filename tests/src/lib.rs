//! Shared machinery for Patchbay's end-to-end tests: start real peers (server-everything, the
//! TypeScript SDK's OAuth demo server) on free ports, run the `patchbay` binary the way a user
//! would, and hand out throwaway data directories. Peers are npm packages installed into
//! `tests/peers/node_modules` by `cargo xtask test`; a missing peer fails loudly with the
//! command that installs it, never skips.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

pub mod bench_peer;
pub mod desktop_bus;
pub mod hostile_peer;
pub mod late_stream_peer;
pub mod model_peer;
pub mod modern_peer;
pub mod net_peers;
pub mod oauth_peer;
pub mod window;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

pub fn peers_dir() -> PathBuf {
    repo_root().join("tests").join("peers")
}

/// A port nobody listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until something accepts TCP connections on `port`.
pub fn wait_for_port(port: u16, limit: Duration) -> Result<()> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("nothing listened on port {port} within {limit:?}")
}

/// A child process killed when dropped.
pub struct Peer {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Peer {
    /// The peer's output so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        if let Err(error) = self.child.kill() {
            eprintln!("killing peer: {error}");
        }
        if let Err(error) = self.child.wait() {
            eprintln!("reaping peer: {error}");
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn node_bin(name: &str) -> Result<PathBuf> {
    let path = peers_dir().join("node_modules").join(".bin").join(name);
    if !path.exists() {
        bail!(
            "{} is missing: run `npm ci --prefix tests/peers` (cargo xtask test does)",
            path.display()
        );
    }
    Ok(path)
}

fn spawn(mut command: Command, port: u16, label: &str) -> Result<Peer> {
    let log = std::env::temp_dir().join(format!("patchbay-peer-{label}-{port}.log"));
    let file = std::fs::File::create(&log)?;
    command
        .stdout(file.try_clone()?)
        .stderr(file)
        .stdin(Stdio::null());
    let child = command
        .spawn()
        .with_context(|| format!("starting {label}"))?;
    let peer = Peer { child, port, log };
    wait_for_port(port, Duration::from_secs(30))
        .with_context(|| format!("{label} did not start; its log:\n{}", peer.log()))?;
    Ok(peer)
}

/// Which transport server-everything should serve.
#[derive(Clone, Copy)]
pub enum EverythingMode {
    StreamableHttp,
    Sse,
}

/// `@modelcontextprotocol/server-everything` on a free port.
pub fn server_everything(mode: EverythingMode) -> Result<Peer> {
    server_everything_on(mode, free_port()?)
}

pub fn server_everything_on(mode: EverythingMode, port: u16) -> Result<Peer> {
    let mut command = Command::new(node_bin("mcp-server-everything")?);
    command.arg(match mode {
        EverythingMode::StreamableHttp => "streamableHttp",
        EverythingMode::Sse => "sse",
    });
    command.env("PORT", port.to_string());
    spawn(command, port, "everything")
}

impl Peer {
    /// server-everything's MCP URL for its mode.
    pub fn everything_url(&self, mode: EverythingMode) -> String {
        match mode {
            EverythingMode::StreamableHttp => format!("http://127.0.0.1:{}/mcp", self.port),
            EverythingMode::Sse => format!("http://127.0.0.1:{}/sse", self.port),
        }
    }
}

/// The TypeScript SDK's example server with `--oauth`: answers 401 without a valid token.
pub fn oauth_demo_server() -> Result<(Peer, u16)> {
    let port = free_port()?;
    let auth_port = free_port()?;
    let script = peers_dir().join(
        "node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js",
    );
    if !script.exists() {
        bail!(
            "{} is missing: run `npm ci --prefix tests/peers`",
            script.display()
        );
    }
    let mut command = Command::new("node");
    command.arg(script).arg("--oauth");
    command
        .env("MCP_PORT", port.to_string())
        .env("MCP_AUTH_PORT", auth_port.to_string());
    let peer = spawn(command, port, "oauth-demo")?;
    Ok((peer, auth_port))
}

/// The `patchbay` binary built beside this test (`cargo build -p patchbay-cli`).
pub fn patchbay_bin() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("PATCHBAY_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test> → target/<profile>/patchbay
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("test binary has no parent")?;
    let binary = profile_dir.join(format!("patchbay{}", std::env::consts::EXE_SUFFIX));
    if !binary.exists() {
        bail!(
            "{} is missing: run `cargo build -p patchbay-cli` first (cargo xtask test does)",
            binary.display()
        );
    }
    Ok(binary)
}

/// A throwaway data directory and keychain namespace, and a way to run `patchbay` in them.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub keychain_service: String,
}

/// What one `patchbay` run printed and returned.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Sandbox {
    pub fn new() -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let unique = dir
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self {
            dir,
            keychain_service: format!("dev.patchbay.test.{unique}"),
        })
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs `patchbay ARGS` with `stdin` (if any) and a short network timeout.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Result<Run> {
        self.run_with_env(args, stdin, &[])
    }

    pub fn run_with_env(
        &self,
        args: &[&str],
        stdin: Option<&str>,
        env: &[(&str, &str)],
    ) -> Result<Run> {
        use std::io::Write;
        let mut command = Command::new(patchbay_bin()?);
        command
            .args(["--data-dir"])
            .arg(self.data_dir())
            .args(args)
            .env("PATCHBAY_KEYCHAIN_SERVICE", &self.keychain_service)
            .env("PATCHBAY_TIMEOUT", "5")
            .env_remove("PATCHBAY_DATA_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // An empty value takes the variable away (e.g. the sandbox's own PATCHBAY_TIMEOUT).
        for (key, value) in env {
            if value.is_empty() {
                command.env_remove(key);
            } else {
                command.env(key, value);
            }
        }
        let mut child = command.spawn()?;
        if let Some(mut pipe) = child.stdin.take()
            && let Some(input) = stdin
        {
            pipe.write_all(input.as_bytes())?;
        }
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output()?;
        Ok(Run {
            code: status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    /// The bytes of every file in the data directory (db, -wal, -shm).
    pub fn data_files(&self) -> Result<Vec<(PathBuf, Vec<u8>)>> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(self.data_dir())? {
            let path = entry?.path();
            if path.is_file() {
                files.push((path.clone(), std::fs::read(&path)?));
            }
        }
        Ok(files)
    }
}

/// Whether `needle` occurs anywhere in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}
