//! The writer the crash soak kills (checklist 42, `tests/e2e/crash.rs`): Patchbay's own write
//! path, run in a process that can die at any instruction.
//!
//! - `soak-writer write DATA_DIR SERVICE FIRST`: opens the store through the facade (the real
//!   OS keychain under SERVICE), adds the token connector "Soak" if missing, then rotates its
//!   token forever: cycle N seals `tok-N` and saves the row (a compare-and-swap over the row
//!   it read, the secret in the same transaction), and only then prints `ack N`.
//! - `soak-writer verify DATA_DIR SERVICE`: opens the store as a new process would (recovering
//!   the write-ahead log), prints `integrity <result of PRAGMA integrity_check>` and
//!   `token <the decrypted token>` and `rotations <how often the workspace key was rotated>`.
//!
//! `PATCHBAY_NONCE_BUDGET` (read by the vault) makes the writer rotate its workspace key every
//! few cycles, so kills land inside rotations too.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use patchbay_core::store::{SecretField, SecretOwner, Store};
use patchbay_core::vault::Vault;
use patchbay_core::{AuthKind, ConnectorEdit, ConnectorSpec, DEFAULT_WORKSPACE, Patchbay, Secret};

const NAME: &str = "Soak";

fn main() -> Result<()> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    match arguments.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["write", dir, service, first] => write(PathBuf::from(dir), service, first.parse()?),
        ["verify", dir, service] => verify(PathBuf::from(dir), service),
        _ => bail!("usage: soak-writer write DATA_DIR SERVICE FIRST | verify DATA_DIR SERVICE"),
    }
}

fn write(dir: PathBuf, service: &str, first: u64) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Patchbay::open(&dir, patchbay_core::os_keychain(service), service)?;
        if app.connector(DEFAULT_WORKSPACE, NAME).is_err() {
            let spec = ConnectorSpec {
                name: NAME.into(),
                url: "http://127.0.0.1:9/mcp".into(),
                auth: AuthKind::Token,
                token: Some(Secret::new(format!("tok-{}", first.saturating_sub(1)))),
                headers: Vec::new(),
                oauth: None,
                network: Default::default(),
            };
            app.add_connector(DEFAULT_WORKSPACE, spec, false).await?;
        }
        let mut stdout = std::io::stdout().lock();
        for cycle in first.. {
            let edit = ConnectorEdit {
                token: Some(Secret::new(format!("tok-{cycle}"))),
                ..ConnectorEdit::default()
            };
            app.edit_connector(DEFAULT_WORKSPACE, NAME, edit, false)
                .await?;
            writeln!(stdout, "ack {cycle}")?;
            stdout.flush()?;
        }
        Ok(())
    })
}

fn verify(dir: PathBuf, service: &str) -> Result<()> {
    let store = Store::open(&dir.join("patchbay.db"), "2026-01-01T00:00:00Z")?;
    let integrity: String = store
        .connection()
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
    println!("integrity {integrity}");
    let workspace = store
        .workspace_by_name(DEFAULT_WORKSPACE)?
        .context("the default workspace")?;
    println!("rotations {}", store.key_rotations(&workspace.id)?);
    let Some(row) = store.connector_by_name(&workspace.id, NAME)? else {
        println!("token none");
        return Ok(());
    };
    let owner = SecretOwner::Connector(&row.id);
    let sealed = store
        .secret(owner, &SecretField::Token)?
        .context("the token row")?;
    let vault = Vault::new(patchbay_core::os_keychain(service), service);
    let token = vault.open(&store, &workspace.id, owner, &SecretField::Token, &sealed)?;
    println!("token {}", token.expose());
    Ok(())
}
