use std::sync::Arc;

use patchbay_core::keychain::{Keychain, MemoryKeychain};
use patchbay_core::store::Store;
use patchbay_core::{AuthKind, ConnectorEdit, ConnectorSpec, ErrorKind, Patchbay, Secret};

const SERVICE: &str = "dev.patchbay.unit";

fn open(dir: &tempfile::TempDir, keychain: Arc<MemoryKeychain>) -> Patchbay {
    Patchbay::open(dir.path(), keychain, SERVICE).expect("open")
}

fn spec(name: &str, token: Option<&str>) -> ConnectorSpec {
    ConnectorSpec {
        name: name.into(),
        url: "http://127.0.0.1:9/mcp".into(),
        auth: if token.is_some() {
            AuthKind::Token
        } else {
            AuthKind::None
        },
        token: token.map(Secret::new),
        headers: vec![("X-Team".into(), Secret::new("blue"))],
        oauth: None,
        network: Default::default(),
    }
}

fn counts(dir: &tempfile::TempDir) -> (i64, i64, i64) {
    let store = Store::open(&dir.path().join("patchbay.db"), "now").expect("store");
    let count = |sql: &str| {
        store
            .connection()
            .query_row(sql, [], |row| row.get(0))
            .expect(sql)
    };
    (
        count("SELECT COUNT(*) FROM connectors"),
        count("SELECT COUNT(*) FROM secrets"),
        count("SELECT COUNT(*) FROM workspaces WHERE wrapped_key IS NOT NULL"),
    )
}

#[tokio::test]
async fn removing_a_workspace_destroys_its_key_and_secrets() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = open(&dir, MemoryKeychain::new());
    app.add_workspace("Work").expect("add workspace");
    app.add_connector("Work", spec("A", Some("secret-a")), false)
        .await
        .expect("add A");
    app.add_connector("Default", spec("B", Some("secret-b")), false)
        .await
        .expect("add B");
    assert_eq!(
        counts(&dir),
        (2, 4, 2),
        "two connectors, token + header each, two data keys"
    );
    app.remove_workspace("work")
        .expect("names are case-insensitive");
    assert_eq!(
        counts(&dir),
        (1, 2, 1),
        "Work's connector, secrets and data key are gone"
    );
    assert_eq!(
        app.list_connectors("Default").expect("list").len(),
        1,
        "Default is untouched"
    );
}

#[tokio::test]
async fn unavailable_keychain_writes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keychain = MemoryKeychain::new();
    keychain.set_unavailable(true);
    let app = open(&dir, keychain.clone());
    let error = app
        .add_connector("Default", spec("A", Some("t")), false)
        .await
        .expect_err("locked");
    assert_eq!(error.kind(), ErrorKind::KeychainUnavailable);
    assert!(
        error.to_string().contains("secure storage unavailable"),
        "{error}"
    );
    assert_eq!(counts(&dir), (0, 0, 0), "no row, no secret, no key");
    assert!(
        app.list_connectors("Default")
            .expect("list without keychain")
            .is_empty()
    );
    // A connector without secrets does not need the keychain at all.
    app.add_connector(
        "Default",
        ConnectorSpec {
            headers: vec![],
            ..spec("Open", None)
        },
        false,
    )
    .await
    .expect("no secrets, no keychain needed");
    keychain.set_unavailable(false);
    app.add_connector("Default", spec("A", Some("t")), false)
        .await
        .expect("works once unlocked");
}

#[tokio::test]
async fn a_replaced_master_key_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keychain = MemoryKeychain::new();
    let app = open(&dir, keychain.clone());
    app.add_connector("Default", spec("A", Some("t")), false)
        .await
        .expect("add");
    drop(app);
    keychain.set("master-key", &[1u8; 32]).expect("replace key");
    let app = open(&dir, keychain.clone());
    let error = app
        .edit_connector("Default", "A", ConnectorEdit::default(), false)
        .await
        .expect_err("wrong key");
    assert_eq!(error.kind(), ErrorKind::KeychainUnavailable);
    assert!(error.to_string().contains("does not match"), "{error}");
}

#[tokio::test]
async fn edits_keep_what_is_not_changed_and_reject_duplicates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = open(&dir, MemoryKeychain::new());
    app.add_connector("Default", spec("A", Some("t")), false)
        .await
        .expect("add A");
    app.add_connector("Default", spec("B", None), false)
        .await
        .expect("add B");
    let error = app
        .edit_connector(
            "Default",
            "A",
            ConnectorEdit {
                name: Some("b".into()),
                ..Default::default()
            },
            false,
        )
        .await
        .expect_err("duplicate");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    let saved = app
        .edit_connector(
            "Default",
            "A",
            ConnectorEdit {
                url: Some("https://example.com/mcp".into()),
                ..Default::default()
            },
            false,
        )
        .await
        .expect("edit url");
    assert!(
        saved.connector.token_set,
        "an edit without a token keeps the token"
    );
    assert_eq!(
        saved.connector.header_names,
        ["X-Team"],
        "an edit without headers keeps them"
    );
    assert_eq!(saved.connector.url, "https://example.com/mcp");
    let error = app
        .add_connector("Default", spec("a", None), false)
        .await
        .expect_err("dup");
    assert!(error.to_string().contains("already exists"), "{error}");
    let error = app
        .add_connector(
            "Default",
            ConnectorSpec {
                auth: AuthKind::OAuth,
                ..spec("O", None)
            },
            false,
        )
        .await
        .expect_err("an OAuth connector needs a sign-in first");
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
}

#[test]
fn data_dir_is_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("nested/data");
    Patchbay::open(&path, MemoryKeychain::new(), SERVICE).expect("open");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700, "the data directory must be owner-only");
    }
}

/// Checklist 44, for every kind of removal, while another process (the app) holds the database
/// open: a forgotten token, a removed provider's API key and a removed workspace's wrapped data
/// key leave none of their bytes in the database or its write-ahead log.
#[tokio::test]
async fn removed_secrets_and_keys_leave_no_bytes_in_the_database_or_its_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("patchbay.db");
    let app = open(&dir, MemoryKeychain::new());
    let _other_process = Store::open(&path, "now").expect("a second opener");
    app.add_workspace("Work").expect("add workspace");
    app.add_connector("Work", spec("A", Some("secret-a")), false)
        .await
        .expect("add A");
    app.add_connector("Default", spec("B", Some("secret-b")), false)
        .await
        .expect("add B");
    let provider = patchbay_core::ProviderSpec {
        name: "Local".into(),
        kind: patchbay_core::ProviderKind::OpenAiCompatible,
        base_url: "http://127.0.0.1:9/v1".into(),
        api_key: Some(Secret::new("sk-provider-key")),
    };
    app.add_provider("Default", provider, false)
        .await
        .expect("add provider");
    let store = Store::open(&path, "now").expect("reader");
    let blobs = |sql: &str| -> Vec<Vec<u8>> {
        let mut statement = store.connection().prepare(sql).expect(sql);
        statement
            .query_map([], |row| row.get(0))
            .expect(sql)
            .collect::<Result<_, _>>()
            .expect(sql)
    };
    let token_b = blobs(
        "SELECT s.ciphertext FROM secrets s JOIN connectors c ON c.id = s.owner_id \
         WHERE c.name = 'B' AND s.field = 'token'",
    );
    let provider_key = blobs("SELECT ciphertext FROM secrets WHERE field = 'api_key'");
    let work_key = blobs("SELECT wrapped_key FROM workspaces WHERE name = 'Work'");
    let work_secrets = blobs(
        "SELECT s.ciphertext FROM secrets s JOIN connectors c ON c.id = s.owner_id \
         WHERE c.name = 'A'",
    );
    drop(store);
    let gone: Vec<(&str, Vec<u8>)> = token_b
        .into_iter()
        .map(|blob| ("B's token", blob))
        .chain(
            provider_key
                .into_iter()
                .map(|blob| ("the provider's key", blob)),
        )
        .chain(
            work_key
                .into_iter()
                .map(|blob| ("Work's wrapped key", blob)),
        )
        .chain(
            work_secrets
                .into_iter()
                .map(|blob| ("a secret of Work", blob)),
        )
        .collect();
    assert_eq!(gone.len(), 5, "every ciphertext was found");
    let on_disk = || -> Vec<u8> {
        ["", "-wal"]
            .iter()
            .flat_map(|suffix| {
                let mut file = path.as_os_str().to_owned();
                file.push(suffix);
                std::fs::read(file).unwrap_or_default()
            })
            .collect()
    };
    let present = |bytes: &[u8], blob: &[u8]| bytes.windows(blob.len()).any(|w| w == blob);
    let before = on_disk();
    assert!(
        gone.iter().all(|(_, blob)| present(&before, blob)),
        "the test sees the ciphertexts on disk before"
    );

    app.edit_connector(
        "Default",
        "B",
        ConnectorEdit {
            token: Some(Secret::new("secret-b-2")),
            ..ConnectorEdit::default()
        },
        false,
    )
    .await
    .expect("replace B's token");
    app.remove_provider("Default", "Local")
        .expect("remove provider");
    app.remove_workspace("Work").expect("remove workspace");
    let after = on_disk();
    for (what, blob) in &gone {
        assert!(!present(&after, blob), "{what} is still on disk");
    }
}
