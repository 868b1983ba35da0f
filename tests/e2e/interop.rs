//! Import and export of other clients' `mcp.json` files, and install links, through the
//! `patchbay` binary against the real server-everything. The fixtures in `fixtures/interop/`
//! follow the examples in Claude Desktop's, VS Code's and Cursor's documentation (stdio entries,
//! `inputs`, `${input:…}` / `${env:…}` placeholders, JSONC comments and trailing commas, a
//! duplicate name, an unsupported transport, broken JSON); `{{STREAMABLE}}` and `{{SSE}}` are
//! replaced with the running peer's URLs.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, ensure};
use patchbay_tests::{EverythingMode, Peer, Sandbox, contains_bytes, server_everything};
use serde_json::Value;

struct Servers {
    streamable: Peer,
    sse: Peer,
}

fn servers() -> Result<Servers> {
    Ok(Servers {
        streamable: server_everything(EverythingMode::StreamableHttp)?,
        sse: server_everything(EverythingMode::Sse)?,
    })
}

/// A fixture with the peers' URLs, written into the sandbox.
fn fixture(sandbox: &Sandbox, servers: &Servers, name: &str) -> Result<PathBuf> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("e2e/fixtures/interop")
        .join(name);
    let text = std::fs::read_to_string(&source)
        .with_context(|| format!("reading {}", source.display()))?
        .replace(
            "{{STREAMABLE}}",
            &servers
                .streamable
                .everything_url(EverythingMode::StreamableHttp),
        )
        .replace("{{SSE}}", &servers.sse.everything_url(EverythingMode::Sse));
    let path = sandbox.dir.path().join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().context("a UTF-8 path")
}

fn connectors(sandbox: &Sandbox, workspace: &str) -> Result<Vec<Value>> {
    let list = sandbox.run(
        &["connector", "list", "--json", "--workspace", workspace],
        None,
    )?;
    ensure!(list.code == 0, "{list}");
    Ok(serde_json::from_str::<Value>(&list.stdout)?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

fn names(list: &[Value]) -> Vec<String> {
    let mut names: Vec<String> = list
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    names.sort();
    names
}

fn plan(sandbox: &Sandbox, file: &Path) -> Result<Value> {
    let run = sandbox.run(&["import", path_str(file)?, "--dry-run", "--json"], None)?;
    ensure!(run.code == 0, "{run}");
    Ok(serde_json::from_str(&run.stdout)?)
}

fn plan_names(plan: &Value, key: &str) -> Vec<String> {
    let mut names: Vec<String> = plan[key]
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|entry| entry["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn skipped_reason<'a>(plan: &'a Value, name: &str) -> &'a str {
    plan["skipped"]
        .as_array()
        .and_then(|list| list.iter().find(|entry| entry["name"] == name))
        .and_then(|entry| entry["reason"].as_str())
        .unwrap_or("")
}

#[test]
fn each_products_file_is_planned_with_what_is_skipped_and_why() -> Result<()> {
    let servers = servers()?;
    let sandbox = Sandbox::new()?;

    let claude = plan(
        &sandbox,
        &fixture(&sandbox, &servers, "claude_desktop_config.json")?,
    )?;
    ensure!(claude["format"] == "claude", "{claude}");
    ensure!(
        plan_names(&claude, "candidates") == ["everything", "everything-sse"],
        "{claude}"
    );
    ensure!(
        skipped_reason(&claude, "filesystem").contains("stdio")
            && skipped_reason(&claude, "websocket").contains("\"ws\""),
        "{claude}"
    );
    let everything = &claude["candidates"][0];
    ensure!(
        everything["auth"] == "token"
            && everything["header_names"] == serde_json::json!(["X-Team"]),
        "the bearer header becomes the token, the other stays a header, by name only: {everything}"
    );
    ensure!(
        !claude.to_string().contains("claude-file-token-123"),
        "the plan never shows a secret: {claude}"
    );

    let vscode = plan(&sandbox, &fixture(&sandbox, &servers, "vscode_mcp.jsonc")?)?;
    ensure!(vscode["format"] == "vscode", "{vscode}");
    ensure!(
        plan_names(&vscode, "candidates") == ["Everything"],
        "{vscode}"
    );
    ensure!(
        plan_names(&vscode, "skipped") == ["Fetch", "Perplexity", "everything"],
        "{vscode}"
    );
    ensure!(
        skipped_reason(&vscode, "everything").contains("another server named \"Everything\""),
        "{vscode}"
    );
    let placeholder = &vscode["candidates"][0]["placeholders"][0];
    ensure!(
        placeholder["reference"] == "${input:api-key}"
            && placeholder["description"] == "Everything API key"
            && placeholder["secret"] == true,
        "the input's description from the file: {vscode}"
    );
    ensure!(
        vscode["candidates"][0]["ignored"] == serde_json::json!(["dev"]),
        "unsupported fields are named: {vscode}"
    );

    let cursor = plan(&sandbox, &fixture(&sandbox, &servers, "cursor_mcp.json")?)?;
    ensure!(cursor["format"] == "cursor", "{cursor}");
    ensure!(
        plan_names(&cursor, "candidates") == ["server-name", "unreachable"],
        "{cursor}"
    );

    // The human plan says the same in lines.
    let file = fixture(&sandbox, &servers, "vscode_mcp.jsonc")?;
    let human = sandbox.run(&["import", path_str(&file)?, "--dry-run"], None)?;
    ensure!(
        human.code == 0
            && human
                .stdout
                .contains("Read as VS Code's configuration: 1 to add, 3 skipped.")
            && human.stdout.contains("needs ${input:api-key}"),
        "{human}"
    );

    // A broken file, a foreign one, a forced wrong shape: clear errors, exit 2.
    let broken = fixture(&sandbox, &servers, "broken.json")?;
    let run = sandbox.run(&["import", path_str(&broken)?], None)?;
    ensure!(
        run.code == 2 && run.stderr.contains("not valid JSON"),
        "{run}"
    );
    let foreign = sandbox.dir.path().join("package.json");
    std::fs::write(&foreign, r#"{"name": "x", "version": "1.0.0"}"#)?;
    let run = sandbox.run(&["import", path_str(&foreign)?], None)?;
    ensure!(
        run.code == 2 && run.stderr.contains("neither \"mcpServers\""),
        "{run}"
    );
    let missing = sandbox.run(&["import", "/nonexistent/mcp.json"], None)?;
    ensure!(
        missing.code == 2 && missing.stderr.contains("cannot read"),
        "{missing}"
    );
    ensure!(connectors(&sandbox, "Default")?.is_empty(), "nothing added");
    Ok(())
}

#[test]
fn only_confirmed_servers_are_added_with_placeholders_filled_and_secrets_sealed() -> Result<()> {
    let servers = servers()?;
    let sandbox = Sandbox::new()?;
    let vscode = fixture(&sandbox, &servers, "vscode_mcp.jsonc")?;

    // No terminal and no --yes: nothing is added.
    let unconfirmed = sandbox.run(&["import", path_str(&vscode)?], None)?;
    ensure!(
        unconfirmed.code == 2 && unconfirmed.stderr.contains("--yes"),
        "{unconfirmed}"
    );
    // A placeholder without a value: nothing is added, and it says which.
    let unfilled = sandbox.run(&["import", path_str(&vscode)?, "--yes"], None)?;
    ensure!(
        unfilled.code == 2 && unfilled.stderr.contains("no value for ${input:api-key}"),
        "{unfilled}"
    );
    ensure!(connectors(&sandbox, "Default")?.is_empty(), "nothing added");

    let added = sandbox.run(
        &["import", path_str(&vscode)?, "--yes", "--values-stdin"],
        Some("# the VS Code input\n${input:api-key}=vs-sekret-42\n"),
    )?;
    ensure!(
        added.code == 0 && added.stderr.contains("Added \"Everything\": connected"),
        "{added}"
    );
    let list = connectors(&sandbox, "Default")?;
    ensure!(names(&list) == ["Everything"], "{list:?}");
    ensure!(
        list[0]["auth"] == "token" && list[0]["token_set"] == true,
        "{list:?}"
    );
    for (path, bytes) in sandbox.data_files()? {
        for secret in ["vs-sekret-42", "${input:api-key}"] {
            ensure!(
                !contains_bytes(&bytes, secret.as_bytes()),
                "{secret} in clear in {}",
                path.display()
            );
        }
    }

    // The filled value is what was sealed: an export that asks for secrets has it.
    let exported = sandbox.run(&["export", "--format", "vscode", "--include-secrets"], None)?;
    ensure!(
        exported.code == 0 && exported.stdout.contains("Bearer vs-sekret-42"),
        "{exported}"
    );
    ensure!(exported.stderr.contains("warning"), "{exported}");

    // Claude's file: only the server named with --only; its literal token and header sealed.
    let claude = fixture(&sandbox, &servers, "claude_desktop_config.json")?;
    let only = sandbox.run(
        &[
            "import",
            path_str(&claude)?,
            "--yes",
            "--only",
            "everything-sse",
            "--workspace",
            "Default",
        ],
        None,
    )?;
    ensure!(only.code == 0, "{only}");
    ensure!(
        names(&connectors(&sandbox, "Default")?) == ["Everything", "everything-sse"],
        "only the chosen server"
    );
    let skipped = sandbox.run(
        &[
            "import",
            path_str(&claude)?,
            "--yes",
            "--only",
            "everything",
        ],
        None,
    )?;
    ensure!(
        skipped.code == 2 && skipped.stderr.contains("already"),
        "the workspace has it (names compare without case): {skipped}"
    );

    // Cursor's: the env placeholder from the environment; one server fails, the other is added.
    let cursor = fixture(&sandbox, &servers, "cursor_mcp.json")?;
    let mixed = sandbox.run_with_env(
        &[
            "import",
            path_str(&cursor)?,
            "--yes",
            "--workspace",
            "Default",
        ],
        None,
        &[("PB_TEST_EVERYTHING_KEY", "cursor-env-key")],
    )?;
    ensure!(
        mixed.code == 1
            && mixed.stderr.contains("Not added \"unreachable\"")
            && mixed.stderr.contains("1 of 2 servers were not added"),
        "{mixed}"
    );
    let list = connectors(&sandbox, "Default")?;
    ensure!(
        names(&list) == ["Everything", "everything-sse", "server-name"],
        "{list:?}"
    );
    let server_name = list
        .iter()
        .find(|c| c["name"] == "server-name")
        .context("server-name")?;
    ensure!(
        server_name["header_names"] == serde_json::json!(["API_KEY"])
            && server_name["status"] == "connected",
        "{server_name}"
    );
    for (path, bytes) in sandbox.data_files()? {
        for secret in ["cursor-env-key", "claude-file-token-123"] {
            ensure!(
                !contains_bytes(&bytes, secret.as_bytes()),
                "{secret} in clear in {}",
                path.display()
            );
        }
    }
    Ok(())
}

#[test]
fn exports_round_trip_in_each_shape_with_placeholders_unless_secrets_are_asked_for() -> Result<()> {
    let servers = servers()?;
    let sandbox = Sandbox::new()?;
    let url = servers
        .streamable
        .everything_url(EverythingMode::StreamableHttp);
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Tokened",
            "--url",
            &url,
            "--header",
            "X-Team: blue-team-secret",
            "--token-stdin",
        ],
        Some("round-trip-token\n"),
    )?;
    ensure!(add.code == 0, "{add}");
    let add = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Open",
            "--url",
            &servers.sse.everything_url(EverythingMode::Sse),
        ],
        None,
    )?;
    ensure!(add.code == 0, "{add}");

    for (format, placeholder) in [
        ("claude", "${TOKENED_TOKEN}"),
        ("vscode", "${input:tokened-token}"),
        ("cursor", "${env:TOKENED_TOKEN}"),
    ] {
        // Without secrets: placeholders, and the file reads back as the same servers.
        let out = sandbox.dir.path().join(format!("{format}.json"));
        let run = sandbox.run(
            &["export", "--format", format, "--output", path_str(&out)?],
            None,
        )?;
        ensure!(run.code == 0, "{run}");
        let text = std::fs::read_to_string(&out)?;
        ensure!(
            text.contains(placeholder)
                && !text.contains("round-trip-token")
                && !text.contains("blue-team-secret"),
            "{format}: {text}"
        );
        let read = plan(&sandbox, &out)?;
        ensure!(read["format"] == format, "{format}: {read}");
        // Every name is taken in this workspace: the plan says so for each.
        ensure!(
            plan_names(&read, "skipped") == ["Open", "Tokened"],
            "{format}: {read}"
        );

        // With secrets: a private file; imported into another workspace it makes the same
        // connectors, which connect.
        let secret_out = sandbox.dir.path().join(format!("{format}-secrets.json"));
        let run = sandbox.run(
            &[
                "export",
                "--format",
                format,
                "--include-secrets",
                "-o",
                path_str(&secret_out)?,
            ],
            None,
        )?;
        ensure!(run.code == 0 && run.stderr.contains("warning"), "{run}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&secret_out)?.permissions().mode() & 0o777;
            ensure!(mode == 0o600, "{format}: mode {mode:o}");
        }
        let workspace = format!("Copy-{format}");
        let created = sandbox.run(&["workspace", "add", &workspace], None)?;
        ensure!(created.code == 0, "{created}");
        let imported = sandbox.run(
            &[
                "import",
                path_str(&secret_out)?,
                "--yes",
                "--workspace",
                &workspace,
            ],
            None,
        )?;
        ensure!(imported.code == 0, "{format}: {imported}");
        let copies = connectors(&sandbox, &workspace)?;
        ensure!(names(&copies) == ["Open", "Tokened"], "{copies:?}");
        let tokened = copies
            .iter()
            .find(|c| c["name"] == "Tokened")
            .context("Tokened")?;
        ensure!(
            tokened["auth"] == "token"
                && tokened["token_set"] == true
                && tokened["header_names"] == serde_json::json!(["X-Team"])
                && tokened["status"] == "connected"
                && tokened["url"] == url.as_str(),
            "{format}: {tokened}"
        );
        let again = sandbox.run(
            &[
                "export",
                "--format",
                format,
                "--include-secrets",
                "--workspace",
                &workspace,
            ],
            None,
        )?;
        ensure!(
            again.stdout.contains("Bearer round-trip-token")
                && again.stdout.contains("blue-team-secret"),
            "the secrets came through the round trip: {again}"
        );
    }
    Ok(())
}

#[test]
fn install_links_add_only_after_confirmation_and_hostile_ones_are_refused() -> Result<()> {
    let servers = servers()?;
    let sandbox = Sandbox::new()?;
    let url = servers
        .streamable
        .everything_url(EverythingMode::StreamableHttp);
    let encoded: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    let link = format!("dev.patchbay.desktop://connect?name=Linked&url={encoded}&auth=none");

    let unconfirmed = sandbox.run(&["connector", "add", "--from-link", &link], None)?;
    ensure!(
        unconfirmed.code == 2
            && unconfirmed.stderr.contains("The link adds \"Linked\"")
            && unconfirmed.stderr.contains("--yes"),
        "{unconfirmed}"
    );
    ensure!(connectors(&sandbox, "Default")?.is_empty(), "nothing added");

    let added = sandbox.run(&["connector", "add", "--from-link", &link, "--yes"], None)?;
    ensure!(
        added.code == 0 && added.stderr.contains("Added \"Linked\": connected"),
        "{added}"
    );

    // The base64 JSON form, like VS Code's install links.
    let config = base64_url(&format!(
        r#"{{"name":"From config","url":"{url}","type":"http"}}"#
    ));
    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--from-link",
            &format!("dev.patchbay.desktop://install?config={config}"),
            "--yes",
        ],
        None,
    )?;
    ensure!(added.code == 0, "{added}");
    ensure!(
        names(&connectors(&sandbox, "Default")?) == ["From config", "Linked"],
        "both links added"
    );

    // A token link takes the token from stdin, never from the link.
    let token_link = format!("dev.patchbay.desktop://connect?name=Tok&url={encoded}&auth=token");
    let no_token = sandbox.run(
        &["connector", "add", "--from-link", &token_link, "--yes"],
        None,
    )?;
    ensure!(
        no_token.code == 2 && no_token.stderr.contains("--token-stdin"),
        "{no_token}"
    );
    let with_token = sandbox.run(
        &[
            "connector",
            "add",
            "--from-link",
            &token_link,
            "--yes",
            "--token-stdin",
        ],
        Some("link-token\n"),
    )?;
    ensure!(with_token.code == 0, "{with_token}");

    let huge = format!(
        "dev.patchbay.desktop://connect?name=A&url=https://a.example/{}",
        "x".repeat(5000)
    );
    for (hostile, expected) in [
        (
            format!("dev.patchbay.desktop://connect?name=A&url={encoded}&token=abc"),
            "never carry secrets",
        ),
        (
            "dev.patchbay.desktop://connect?name=A&url=javascript:alert(1)".to_owned(),
            "http",
        ),
        (
            "dev.patchbay.desktop://connect?name=A&url=file:///etc/passwd".to_owned(),
            "http",
        ),
        (
            "dev.patchbay.desktop://connect?name=A&url=https://user:pw@a.example/mcp".to_owned(),
            "user name or password",
        ),
        (
            "dev.patchbay.desktop://connect?name=A&url=https://a.example/mcp?api_key=k".to_owned(),
            "credentials",
        ),
        (
            "dev.patchbay.desktop://connect?name=A%07B&url=https://a.example/mcp".to_owned(),
            "control",
        ),
        (
            "dev.patchbay.desktop://connect?name=A&name=B&url=https://a.example/mcp".to_owned(),
            "twice",
        ),
        (
            "dev.patchbay.desktop://connect?name=A&url=https://a.example/mcp&next=https://evil"
                .to_owned(),
            "does not know",
        ),
        (huge, "longer than"),
        (
            "https://evil.example/connect?name=A&url=https://a.example/mcp".to_owned(),
            "not a Patchbay install link",
        ),
    ] {
        let run = sandbox.run(
            &["connector", "add", "--from-link", &hostile, "--yes"],
            None,
        )?;
        ensure!(
            run.code == 2 && run.stderr.to_lowercase().contains(&expected.to_lowercase()),
            "{hostile:.120}: expected {expected:?}\n{run}"
        );
    }
    ensure!(
        names(&connectors(&sandbox, "Default")?) == ["From config", "Linked", "Tok"],
        "no hostile link added anything"
    );
    Ok(())
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}
