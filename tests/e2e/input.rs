//! A tool that asks the person for input while it runs (MCP elicitation), through the CLI: on a
//! terminal the server's form is asked field by field and the answers reach the tool; without
//! one, Patchbay does not offer to answer, so the server does not ask. The server is the real
//! server-everything (`trigger-elicitation-request`, which it lists only to clients that can
//! answer); the terminal is a pseudo-terminal from util-linux's `script`, fed the typed answers.

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, ensure};
use patchbay_tests::{EverythingMode, Sandbox, patchbay_bin, server_everything};

const TOOL: &str = "trigger-elicitation-request";

/// `'word'` for a POSIX shell.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tool_asking_for_input_is_answered_on_the_terminal() -> Result<()> {
    let peer = server_everything(EverythingMode::StreamableHttp)?;
    let sandbox = Sandbox::new()?;
    let url = peer.everything_url(EverythingMode::StreamableHttp);
    let add = sandbox.run(
        &["connector", "add", "--name", "Everything", "--url", &url],
        None,
    )?;
    ensure!(add.code == 0, "{add}");

    // No terminal: the capability is not announced, so the server does not even list the tool.
    let tools = sandbox.run(&["tools", "Everything"], None)?;
    ensure!(
        tools.code == 0 && tools.stdout.contains("echo") && !tools.stdout.contains(TOOL),
        "without a terminal nobody can answer, and the server is told so: {tools}"
    );

    // On a terminal. The form's fields come in name order: birthdate, check, email, firstLine,
    // homepage, integer, legacyTitledEnum, name (required), number, titledMultipleSelectEnum,
    // titledSingleSelectEnum, untitledMultipleSelectEnum, untitledSingleSelectEnum; empty
    // answers take the defaults or leave a field out. "150" is out of the integer's range and
    // is asked again.
    let answers = [
        "",
        "y",
        "",
        "",
        "",
        "150",
        "7",
        "Dogs",
        "Ada Lovelace",
        "",
        "",
        "Wonder Woman",
        "",
        "",
        "y",
    ]
    .join("\n")
        + "\n";
    let command = [
        quoted(&patchbay_bin()?.display().to_string()),
        "--data-dir".into(),
        quoted(&sandbox.data_dir().display().to_string()),
        "call".into(),
        "Everything".into(),
        TOOL.into(),
    ]
    .join(" ");
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("PATCHBAY_KEYCHAIN_SERVICE", &sandbox.keychain_service)
        .env("PATCHBAY_TIMEOUT", "20")
        .env_remove("PATCHBAY_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("util-linux's script (bsdutils) runs the CLI on a pseudo-terminal")?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(answers.as_bytes())?;
    let output = child.wait_with_output()?;
    let shown = String::from_utf8_lossy(&output.stdout);
    eprintln!("--- the terminal\n{shown}");
    ensure!(
        output.status.success(),
        "the call succeeds ({}):\n{shown}",
        output.status
    );
    ensure!(
        shown.contains("The server asks: Please provide inputs for the following fields:")
            && shown.contains("Between 1 and 100, please."),
        "the form is asked on the terminal, and a bad answer asked again:\n{shown}"
    );
    ensure!(
        shown.contains("User provided the requested information")
            && shown.contains("- Name: Ada Lovelace")
            && shown.contains("- Agreed to terms: true")
            && shown.contains("- Favorite Integer: 7")
            && shown.contains("\"titledSingleSelectEnum\": \"hero-3\"")
            && shown.contains("\"legacyTitledEnum\": \"pet-2\""),
        "the answers reached the tool, choices by their names:\n{shown}"
    );
    Ok(())
}
