//! A store written by an older main (schema v2, `tests/fixtures/stores`) opens in this build:
//! it migrates, every secret still decrypts with the old associated data, and a secret written
//! again is sealed with the owner-kind AAD while the untouched ones keep opening the old way.

use std::path::Path;
use std::sync::Arc;

use patchbay_core::keychain::{Keychain, MemoryKeychain};
use patchbay_core::store::{Binding, SecretField, SecretOwner, Store};
use patchbay_core::vault::Vault;
use patchbay_core::{ConnectorEdit, ConnectorStatus, Patchbay, Secret};

const SERVICE: &str = "dev.patchbay.fixture";
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/stores");

type TestResult = Result<(), Box<dyn std::error::Error>>;
/// A secret as (connector name, stored field, plaintext).
type Opened = (String, String, String);

/// A copy of the v2 store (never the checked-in file itself) and a keychain holding its key.
fn v2_store() -> Result<(tempfile::TempDir, Arc<MemoryKeychain>), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    std::fs::copy(
        Path::new(FIXTURES).join("v2-c8c3257.db"),
        dir.path().join("patchbay.db"),
    )?;
    let hex = std::fs::read_to_string(Path::new(FIXTURES).join("v2-c8c3257.master-key.hex"))?;
    let key = (0..hex.trim().len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&hex[at..at + 2], 16))
        .collect::<Result<Vec<u8>, _>>()?;
    let keychain = MemoryKeychain::new();
    keychain.set("master-key", &key)?;
    Ok((dir, keychain))
}

/// Every secret of the store, opened through the vault: (connector name, field, plaintext).
fn opened(
    dir: &Path,
    keychain: Arc<MemoryKeychain>,
) -> Result<Vec<Opened>, Box<dyn std::error::Error>> {
    let store = Store::open(&dir.join("patchbay.db"), "2026-12-04T00:00:00Z")?;
    let vault = Vault::new(keychain as Arc<dyn Keychain>, SERVICE);
    let mut all = Vec::new();
    for workspace in store.workspaces()? {
        for row in store.connectors(&workspace.id)? {
            let owner = SecretOwner::Connector(&row.id);
            for field in store.secret_fields(owner)? {
                let sealed = store.secret(owner, &field)?.ok_or("listed but missing")?;
                let plain = vault.open(&store, &workspace.id, owner, &field, &sealed)?;
                all.push((
                    row.name.clone(),
                    field.as_stored().into_owned(),
                    plain.expose().to_owned(),
                ));
            }
        }
    }
    all.sort();
    Ok(all)
}

#[test]
fn a_v2_store_migrates_and_every_secret_still_decrypts() -> TestResult {
    let (dir, keychain) = v2_store()?;
    let app = Patchbay::open(dir.path(), keychain.clone(), SERVICE)?;
    let store = Store::open(&dir.path().join("patchbay.db"), "now")?;
    assert_eq!(
        store.schema_version()?,
        patchbay_core::store::MIGRATIONS.len(),
        "opening migrates to the newest schema"
    );
    let names: Vec<String> = ["Default", "Work"]
        .into_iter()
        .flat_map(|workspace| app.list_connectors(workspace).unwrap_or_default())
        .map(|connector| connector.name)
        .collect();
    assert_eq!(
        names,
        ["Tokens", "Plain", "Signed in"],
        "every connector is kept"
    );
    assert!(
        app.connector("Default", "Tokens")?.token_set,
        "the view still sees the stored token"
    );
    let secrets = opened(dir.path(), keychain.clone())?;
    assert_eq!(secrets.len(), 4, "four secrets were stored: {secrets:?}");
    let find = |name: &str, field: &str| {
        secrets
            .iter()
            .find(|(n, f, _)| n == name && f == field)
            .map(|(_, _, plain)| plain.clone())
    };
    assert_eq!(
        find("Tokens", "token").as_deref(),
        Some("fixture-token-1234")
    );
    assert_eq!(find("Tokens", "header:X-Team").as_deref(), Some("blue"));
    assert_eq!(
        find("Plain", "header:X-Api-Key").as_deref(),
        Some("fixture-api-key")
    );
    assert!(
        find("Signed in", "oauth").is_some_and(|grant| grant.contains("fixture-access")),
        "the OAuth grant decrypts to what was sealed"
    );
    Ok(())
}

#[tokio::test]
async fn a_legacy_secret_written_again_moves_to_the_owner_aad_and_the_rest_stay_readable()
-> TestResult {
    let (dir, keychain) = v2_store()?;
    let app = Patchbay::open(dir.path(), keychain.clone(), SERVICE)?;
    let edit = ConnectorEdit {
        token: Some(Secret::new("a-new-token")),
        ..ConnectorEdit::default()
    };
    app.edit_connector("Default", "Tokens", edit, false).await?;
    let store = Store::open(&dir.path().join("patchbay.db"), "now")?;
    let tokens = app.connector("Default", "Tokens")?;
    let owner = SecretOwner::Connector(&tokens.id);
    let token = store.secret(owner, &SecretField::Token)?.ok_or("token")?;
    let header = store
        .secret(owner, &SecretField::Header("X-Team".into()))?
        .ok_or("header")?;
    assert_eq!(
        token.binding,
        Binding::Owner,
        "a rewritten secret uses the owner-kind AAD"
    );
    assert_eq!(
        header.binding,
        Binding::ConnectorOnly,
        "an untouched one keeps its old AAD"
    );
    let secrets = opened(dir.path(), keychain)?;
    assert!(
        secrets.contains(&("Tokens".into(), "token".into(), "a-new-token".into()))
            && secrets.contains(&("Tokens".into(), "header:X-Team".into(), "blue".into())),
        "both layouts open side by side: {secrets:?}"
    );
    // The facade reads them too: a test reaches the network (port 9 refuses), not a decrypt
    // failure.
    for (workspace, name) in [("Default", "Tokens"), ("Work", "Plain")] {
        let diagnosis = app.test_connector(workspace, name).await?;
        assert_eq!(
            diagnosis.status(),
            ConnectorStatus::Disconnected,
            "{name}'s secrets opened and the check reached the network: {diagnosis:?}"
        );
    }
    Ok(())
}

#[test]
fn a_legacy_ciphertext_moved_to_another_connector_does_not_open() -> TestResult {
    let (dir, keychain) = v2_store()?;
    drop(Patchbay::open(dir.path(), keychain.clone(), SERVICE)?);
    let store = Store::open(&dir.path().join("patchbay.db"), "now")?;
    // Copy Plain's legacy header blob onto Tokens' header row (both binding 1).
    store.connection().execute(
        "UPDATE secrets SET ciphertext = (SELECT ciphertext FROM secrets WHERE field = 'header:X-Api-Key')
         WHERE field = 'header:X-Team'",
        [],
    )?;
    drop(store);
    assert!(
        opened(dir.path(), keychain).is_err(),
        "the old AAD still binds a ciphertext to its connector and field"
    );
    Ok(())
}
