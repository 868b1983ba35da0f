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

/// A secret typed at the CLI's prompt is not echoed (before, `--token-stdin` on a terminal
/// showed the token as it was typed). The terminal is a pseudo-terminal from `script`, whose
/// output is everything the terminal displayed; the token is typed only once the prompt says
/// echo is off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_typed_at_the_prompt_is_not_shown() -> Result<()> {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    const TOKEN: &str = "SNTL-typed-token-5d1f";
    let sandbox = Sandbox::new()?;
    let command = [
        quoted(&patchbay_bin()?.display().to_string()),
        "--data-dir".into(),
        quoted(&sandbox.data_dir().display().to_string()),
        "connector add --name Typed --url https://typed.example/mcp --token-stdin --skip-test"
            .into(),
    ]
    .join(" ");
    let mut child = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env("PATCHBAY_KEYCHAIN_SERVICE", &sandbox.keychain_service)
        .env_remove("PATCHBAY_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("util-linux's script (bsdutils) runs the CLI on a pseudo-terminal")?;
    let shown = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().context("stdout")?;
    let reader = {
        let shown = shown.clone();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 1024];
            while let Ok(read @ 1..) = stdout.read(&mut chunk) {
                if let Ok(mut shown) = shown.lock() {
                    shown.extend_from_slice(&chunk[..read]);
                }
            }
        })
    };
    let text = |shown: &Arc<Mutex<Vec<u8>>>| {
        shown
            .lock()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    };
    let asked = std::time::Instant::now();
    while !text(&shown).contains("nothing is shown") {
        ensure!(
            asked.elapsed() < std::time::Duration::from_secs(20),
            "no prompt:\n{}",
            text(&shown)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(format!("{TOKEN}\n").as_bytes())?;
    let status = child.wait()?;
    let _ = reader.join();
    let shown = text(&shown);
    ensure!(
        status.success(),
        "the connector is added ({status}):\n{shown}"
    );
    ensure!(
        !shown.contains(TOKEN),
        "the typed token is not shown:\n{shown}"
    );
    let list = sandbox.run(&["connector", "list", "--json"], None)?;
    ensure!(
        list.stdout.contains("\"token_set\": true"),
        "and it was saved: {list}"
    );
    Ok(())
}
