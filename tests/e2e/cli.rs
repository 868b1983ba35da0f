//! The `patchbay` binary run as a user would: the whole happy path against server-everything, and
//! every bad input from the Spine issue, each checked for a clear message, the right exit code
//! (2 bad input, 1 other failure) and an unchanged store.

use anyhow::{Result, ensure};
use patchbay_tests::{EverythingMode, Run, Sandbox, oauth_demo_server, server_everything};

use crate::fake_http::{Behaviour, serve};

fn names(sandbox: &Sandbox) -> Result<Vec<String>> {
    let run = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(run.code == 0, "list failed: {run}");
    let value: serde_json::Value = serde_json::from_str(&run.stdout)?;
    Ok(value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|c| c["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default())
}

/// Asserts a failed run: exit code, words in stderr, and one `error:` line.
fn failed(run: &Run, code: i32, words: &str) -> Result<()> {
    ensure!(run.code == code, "expected exit {code}: {run}");
    ensure!(
        run.stderr.contains(words),
        "stderr should mention {words:?}: {run}"
    );
    ensure!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .count()
            == 1,
        "one error line: {run}"
    );
    Ok(())
}

#[test]
fn happy_path_add_list_show_tools_call_edit_remove() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;

    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Everything",
            "--url",
            &url,
            "--header",
            "X-Team: blue",
            "--token-stdin",
        ],
        Some("tok-123\n"),
    )?;
    ensure!(added.code == 0, "add: {added}");
    ensure!(
        added.stderr.contains("connected to") && added.stderr.contains("tools"),
        "{added}"
    );

    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    let value: serde_json::Value = serde_json::from_str(&list.stdout)?;
    let first = &value[0];
    ensure!(
        first["name"] == "Everything" && first["url"] == url.as_str(),
        "{list}"
    );
    ensure!(
        first["auth"] == "token" && first["token_set"] == true && first["status"] == "connected",
        "{list}"
    );

    let text = sandbox.run(&["connector", "list"], None)?;
    ensure!(
        text.code == 0 && text.stdout.contains("Everything") && text.stdout.contains("connected"),
        "{text}"
    );

    let show = sandbox.run(&["connector", "show", "everything"], None)?;
    ensure!(
        show.code == 0 && show.stdout.contains("X-Team (values hidden)"),
        "names are case-insensitive: {show}"
    );

    let tools = sandbox.run(&["tools", "Everything", "--json"], None)?;
    let tools: serde_json::Value = serde_json::from_str(&tools.stdout)?;
    ensure!(
        tools
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t["name"] == "get-sum")),
        "tools: {tools}"
    );

    let call = sandbox.run(
        &[
            "call",
            "Everything",
            "get-sum",
            "--args",
            r#"{"a": 40, "b": 2}"#,
        ],
        None,
    )?;
    ensure!(call.code == 0 && call.stdout.contains("42"), "{call}");
    let echo = sandbox.run(
        &[
            "call",
            "Everything",
            "echo",
            "--args",
            r#"{"message": "over the wire"}"#,
        ],
        None,
    )?;
    ensure!(
        echo.code == 0 && echo.stdout.contains("over the wire"),
        "{echo}"
    );

    let test = sandbox.run(&["connector", "test", "Everything"], None)?;
    ensure!(test.code == 0 && test.stdout.starts_with("OK"), "{test}");

    let renamed = sandbox.run(
        &["connector", "edit", "Everything", "--name", "Kitchen Sink"],
        None,
    )?;
    ensure!(renamed.code == 0, "{renamed}");
    ensure!(names(&sandbox)? == ["Kitchen Sink"], "rename applied");

    let bad_edit = sandbox.run(
        &[
            "connector",
            "edit",
            "Kitchen Sink",
            "--url",
            "http://127.0.0.1:1/mcp",
        ],
        None,
    )?;
    failed(&bad_edit, 1, "stage: connection")?;
    let still = sandbox.run(&["connector", "show", "Kitchen Sink", "--json"], None)?;
    ensure!(
        still.stdout.contains(&url),
        "a failed edit must change nothing: {still}"
    );

    let removed = sandbox.run(&["connector", "remove", "Kitchen Sink"], None)?;
    ensure!(removed.code == 0, "{removed}");
    ensure!(names(&sandbox)?.is_empty(), "removed");
    Ok(())
}

#[test]
fn same_url_twice_with_different_names_is_allowed() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    for name in ["Work account", "Personal account"] {
        let run = sandbox.run(&["connector", "add", "--name", name, "--url", &url], None)?;
        ensure!(run.code == 0, "{run}");
    }
    ensure!(names(&sandbox)?.len() == 2);
    Ok(())
}

#[test]
fn bad_inputs_fail_clearly_and_change_nothing() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    let ok = sandbox.run(
        &["connector", "add", "--name", "Existing", "--url", &url],
        None,
    )?;
    ensure!(ok.code == 0, "{ok}");

    let runtime = tokio::runtime::Runtime::new()?;
    let html = runtime.block_on(serve(Behaviour::Html))?;
    let hang = runtime.block_on(serve(Behaviour::Hang))?;
    let missing = runtime.block_on(serve(Behaviour::Status(404)))?;
    let rejecting = runtime.block_on(serve(Behaviour::Unauthorized))?;
    let rejecting_url = format!("{rejecting}/mcp");
    let closed = patchbay_tests::free_port()?;
    let (oauth, _) = oauth_demo_server()?;
    let protected = format!("http://localhost:{}/mcp", oauth.port);
    let huge_token = "t".repeat(100_000);
    let closed_url = format!("http://127.0.0.1:{closed}/mcp");
    let hang_url = format!("{hang}/mcp");
    let html_url = format!("{html}/");
    let missing_url = format!("{missing}/mcp");
    let huge_header = format!("X-Big: {}", "v".repeat(10_000));

    let cases: Vec<(Vec<&str>, Option<&str>, i32, &str)> = vec![
        (
            vec!["--name", "", "--url", &url],
            None,
            2,
            "must not be empty",
        ),
        (
            vec!["--name", "   ", "--url", &url],
            None,
            2,
            "must not be empty",
        ),
        (
            vec!["--name", "existing", "--url", &url],
            None,
            2,
            "already exists",
        ),
        (
            vec!["--name", "X", "--url", "ftp://example.com/mcp"],
            None,
            2,
            "http:// or https://",
        ),
        (
            vec!["--name", "X", "--url", "not a url"],
            None,
            2,
            "not a valid URL",
        ),
        (
            vec!["--name", "X", "--url", &closed_url],
            None,
            1,
            "check the URL and that the server is running",
        ),
        (
            vec!["--name", "X", "--url", "http://no-such-host.invalid/mcp"],
            None,
            1,
            "stage: DNS lookup",
        ),
        (
            vec!["--name", "X", "--url", &hang_url],
            None,
            1,
            "did not answer in time",
        ),
        (
            vec!["--name", "X", "--url", &html_url],
            None,
            1,
            "not an MCP endpoint",
        ),
        (
            vec!["--name", "X", "--url", &missing_url],
            None,
            1,
            "HTTP status: 404",
        ),
        (
            vec!["--name", "X", "--url", &protected],
            None,
            1,
            "requires authentication",
        ),
        (
            vec!["--name", "X", "--url", &rejecting_url, "--token-stdin"],
            Some("wrong-token\n"),
            1,
            "credentials invalid or expired",
        ),
        (
            vec!["--name", "X", "--url", &url, "--token-stdin"],
            Some(&huge_token),
            2,
            "larger than",
        ),
        (
            vec!["--name", "X", "--url", &url, "--token-stdin"],
            Some(&huge_token[..9000]),
            2,
            "too long",
        ),
        (
            vec!["--name", "X", "--url", &url, "--header", &huge_header],
            None,
            2,
            "too long",
        ),
        (
            vec!["--name", "X", "--url", &url, "--header", "Authorization: x"],
            None,
            2,
            "set by Patchbay",
        ),
        (
            vec!["--name", "X", "--url", &url, "--auth", "token"],
            None,
            2,
            "access token must not be empty",
        ),
    ];
    for (args, stdin, code, words) in &cases {
        let mut full = vec!["connector", "add"];
        full.extend(args.iter().copied());
        let run = sandbox.run(&full, *stdin)?;
        failed(&run, *code, words).map_err(|e| e.context(format!("case {args:?}")))?;
        ensure!(
            names(&sandbox)? == ["Existing"],
            "case {args:?} must save nothing"
        );
    }

    for args in [
        vec!["connector", "show", "Nope"],
        vec!["connector", "test", "Nope"],
        vec!["connector", "remove", "Nope"],
        vec!["connector", "edit", "Nope", "--name", "Other"],
        vec!["tools", "Nope"],
        vec!["call", "Nope", "echo"],
    ] {
        failed(&sandbox.run(&args, None)?, 2, "no connector named \"Nope\"")?;
    }
    failed(
        &sandbox.run(&["--workspace", "Ghost", "connector", "list"], None)?,
        2,
        "no workspace named",
    )?;
    failed(
        &sandbox.run(&["call", "Existing", "echo", "--args", "[1]"], None)?,
        2,
        "JSON object",
    )?;
    failed(
        &sandbox.run(&["call", "Existing", "echo", "--args", "{oops"], None)?,
        2,
        "not valid JSON",
    )?;
    let argv_secret = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "Y",
            "--url",
            &url,
            "--token",
            "abc",
        ],
        None,
    )?;
    ensure!(
        argv_secret.code == 2,
        "secrets are never accepted in argv: {argv_secret}"
    );
    ensure!(names(&sandbox)? == ["Existing"]);
    Ok(())
}

#[test]
fn workspaces_scope_connectors() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    ensure!(sandbox.run(&["workspace", "add", "Work"], None)?.code == 0);
    failed(
        &sandbox.run(&["workspace", "add", "work"], None)?,
        2,
        "already exists",
    )?;
    failed(
        &sandbox.run(&["workspace", "add", ""], None)?,
        2,
        "must not be empty",
    )?;
    let add = sandbox.run(
        &[
            "--workspace",
            "Work",
            "connector",
            "add",
            "--name",
            "E",
            "--url",
            &url,
            "--token-stdin",
        ],
        Some("tok\n"),
    )?;
    ensure!(add.code == 0, "{add}");
    ensure!(
        names(&sandbox)?.is_empty(),
        "Default does not see Work's connector"
    );
    let same_name = sandbox.run(&["connector", "add", "--name", "E", "--url", &url], None)?;
    ensure!(
        same_name.code == 0,
        "names are unique per workspace only: {same_name}"
    );

    ensure!(
        sandbox
            .run(&["workspace", "rename", "Work", "Office"], None)?
            .code
            == 0
    );
    let list = sandbox.run(&["workspace", "list", "--json"], None)?;
    ensure!(
        list.stdout.contains("Office") && !list.stdout.contains("\"Work\""),
        "{list}"
    );
    let moved = sandbox.run(&["--workspace", "Office", "connector", "show", "E"], None)?;
    ensure!(moved.code == 0, "{moved}");

    ensure!(sandbox.run(&["workspace", "remove", "Office"], None)?.code == 0);
    failed(
        &sandbox.run(&["--workspace", "Office", "connector", "list"], None)?,
        2,
        "no workspace named",
    )?;
    failed(
        &sandbox.run(&["workspace", "remove", "Default"], None)?,
        2,
        "only workspace",
    )?;
    ensure!(names(&sandbox)? == ["E"], "Default is untouched");
    Ok(())
}
