//! A connector's own timeouts through the `patchbay` binary: set when it is added or edited,
//! shown, reset to the app's, and used — a server that never answers is given up on after the
//! connector's request timeout (the diagnosis says how long it waited), and a long tool call
//! that reports progress outlives the request timeout, while one that stays silent does not
//! (server-everything's `trigger-long-running-operation` sends a progress notification after
//! each step).

use anyhow::{Result, ensure};
use patchbay_tests::{EverythingMode, Sandbox, server_everything};
use serde_json::Value;

use crate::fake_http::{Behaviour, serve};

fn network(sandbox: &Sandbox, name: &str) -> Result<Value> {
    let shown = sandbox.run(&["connector", "show", name, "--json"], None)?;
    ensure!(shown.code == 0, "{shown}");
    let value: Value = serde_json::from_str(&shown.stdout)?;
    Ok(value["network"].clone())
}

#[test]
fn a_connectors_timeouts_are_kept_shown_reset_and_used() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let sandbox = Sandbox::new()?;
    let added = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "ev",
            "--url",
            &url,
            "--request-timeout",
            "2",
        ],
        None,
    )?;
    ensure!(added.code == 0, "{added}");
    ensure!(
        network(&sandbox, "ev")? == serde_json::json!({"request_timeout_secs": 2}),
        "kept as set"
    );
    let human = sandbox.run(&["connector", "show", "ev"], None)?;
    ensure!(human.stdout.contains("Request timeout: 2 s"), "{human}");

    // Progress every half second keeps a 3-second call alive past the 2-second timeout.
    let reporting = sandbox.run(
        &[
            "call",
            "ev",
            "trigger-long-running-operation",
            "--args",
            r#"{"duration": 3, "steps": 6}"#,
        ],
        None,
    )?;
    ensure!(
        reporting.code == 0 && reporting.stderr.contains("progress: 100 %"),
        "{reporting}"
    );
    // One step of 4 seconds: silent past the timeout, so it is given up on.
    let silent = sandbox.run(
        &[
            "call",
            "ev",
            "trigger-long-running-operation",
            "--args",
            r#"{"duration": 4, "steps": 1}"#,
        ],
        None,
    )?;
    ensure!(
        silent.code != 0 && silent.stderr.contains("did not answer within 2s"),
        "{silent}"
    );

    // Back to the app's: the same silent call now finishes (the playground waits 120 s).
    let reset = sandbox.run(
        &[
            "connector",
            "edit",
            "ev",
            "--request-timeout",
            "default",
            "--connect-timeout",
            "7",
        ],
        None,
    )?;
    ensure!(reset.code == 0, "{reset}");
    ensure!(
        network(&sandbox, "ev")? == serde_json::json!({"connect_timeout_secs": 7}),
        "reset one, set the other"
    );
    let finished = sandbox.run(
        &[
            "call",
            "ev",
            "trigger-long-running-operation",
            "--args",
            r#"{"duration": 3, "steps": 1}"#,
        ],
        None,
    )?;
    ensure!(finished.code == 0, "{finished}");

    // Bad values: exit 2, nothing changed.
    for bad in [
        vec!["connector", "edit", "ev", "--request-timeout", "0"],
        vec!["connector", "edit", "ev", "--request-timeout", "soon"],
        vec!["connector", "edit", "ev", "--request-timeout", "99999"],
        vec!["connector", "edit", "ev", "--connect-timeout", "301"],
    ] {
        let run = sandbox.run(&bad, None)?;
        ensure!(run.code == 2, "{bad:?}: {run}");
    }
    ensure!(
        network(&sandbox, "ev")? == serde_json::json!({"connect_timeout_secs": 7}),
        "unchanged by refused edits"
    );
    Ok(())
}

#[test]
fn a_server_that_never_answers_is_given_up_on_after_the_connectors_own_timeout() -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let hang = runtime.block_on(serve(Behaviour::Hang))?;
    let sandbox = Sandbox::new()?;
    // The sandbox's app-wide timeout is 5 s; this connector's own is 1 s.
    let run = sandbox.run(
        &[
            "connector",
            "add",
            "--name",
            "slow",
            "--url",
            &format!("{hang}/mcp"),
            "--request-timeout",
            "1",
        ],
        None,
    )?;
    ensure!(run.code == 1 && run.stderr.contains("within 1s"), "{run}");
    Ok(())
}

#[test]
fn the_apps_settings_are_kept_checked_and_their_timeouts_used() -> Result<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let hang = runtime.block_on(serve(Behaviour::Hang))?;
    let sandbox = Sandbox::new()?;
    let shown = sandbox.run(&["settings", "show", "--json"], None)?;
    let defaults: Value = serde_json::from_str(&shown.stdout)?;
    ensure!(
        defaults["monitor_interval_secs"] == 60
            && defaults["notifications"] == true
            && defaults["theme"] == "system"
            && defaults["request_timeout_secs"] == 30,
        "{shown}"
    );
    for (key, value) in [
        ("request-timeout", "1"),
        ("notifications", "off"),
        ("theme", "dark"),
        ("monitor-interval", "15"),
    ] {
        let set = sandbox.run(&["settings", "set", key, value], None)?;
        ensure!(set.code == 0, "{key}: {set}");
    }
    for (key, value, expected) in [
        ("monitor-interval", "5", "between 10 and 86400"),
        ("request-timeout", "0", "between 1 and 3600"),
        ("notifications", "maybe", "on or off"),
        ("theme", "purple", "system, light or dark"),
    ] {
        let bad = sandbox.run(&["settings", "set", key, value], None)?;
        ensure!(
            bad.code == 2 && bad.stderr.contains(expected),
            "{key}: {bad}"
        );
    }
    let shown = sandbox.run(&["settings", "show"], None)?;
    ensure!(
        shown.stdout.contains("request-timeout   1 s")
            && shown.stdout.contains("notifications     off")
            && shown.stdout.contains("theme             dark")
            && shown.stdout.contains("monitor-interval  15 s"),
        "kept, and the refused values changed nothing: {shown}"
    );

    // Without --timeout (nor PATCHBAY_TIMEOUT), a connector without its own timeout uses the
    // app's: a hung server is given up on after 1 s.
    let no_override = [("PATCHBAY_TIMEOUT", "")];
    let slow = sandbox.run_with_env(
        &[
            "connector",
            "add",
            "--name",
            "slow",
            "--url",
            &format!("{hang}/mcp"),
        ],
        None,
        &no_override,
    )?;
    ensure!(
        slow.code == 1 && slow.stderr.contains("within 1s"),
        "{slow}"
    );
    // A connector's own timeout wins over the app's.
    let own = sandbox.run_with_env(
        &[
            "connector",
            "add",
            "--name",
            "slow",
            "--url",
            &format!("{hang}/mcp"),
            "--request-timeout",
            "2",
        ],
        None,
        &no_override,
    )?;
    ensure!(own.code == 1 && own.stderr.contains("within 2s"), "{own}");
    let reset = sandbox.run(&["settings", "reset", "request-timeout"], None)?;
    ensure!(
        reset.code == 0 && reset.stdout.contains("request-timeout   30 s"),
        "{reset}"
    );
    Ok(())
}

#[test]
fn bad_environment_values_are_refused_with_a_message_not_a_crash() -> Result<()> {
    let sandbox = Sandbox::new()?;
    for value in ["abc", "0", "-5", "99999999999999999999", "1e3"] {
        let run =
            sandbox.run_with_env(&["connector", "list"], None, &[("PATCHBAY_TIMEOUT", value)])?;
        ensure!(
            run.code == 2
                && run.stderr.contains("PATCHBAY_TIMEOUT")
                && !run.stderr.contains("panicked"),
            "{value:?}: {run}"
        );
    }
    Ok(())
}
