//! `patchbay import`, `patchbay export` and `connector add --from-link` on the command line.
//!
//! An import prints what the file would add and what is skipped and why, then (confirmed on the
//! terminal per server, or with `--yes`) tests and adds each server; one that fails does not stop
//! the others, and the exit code says whether all were added. Placeholders (`${input:…}`,
//! `${env:…}`) are filled from `--values-stdin` lines, an `${env:NAME}` from the environment when
//! it is set, else asked on the terminal without echo; never from argv. An export goes to stdout
//! (or `--output`, written whole or not at all), with placeholders for secrets unless
//! `--include-secrets`, which warns and makes the file private to its owner.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use patchbay_core::{
    CandidateView, ConfigFormat, ImportPlan, InstallOffer, MAX_IMPORT_BYTES as MAX_FILE_BYTES,
    Patchbay, Secret,
};
use serde::Serialize;

use crate::input::terminal;
use crate::output::print_json;
use crate::{Failure, login_command};

#[derive(Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Auto,
    Claude,
    Vscode,
    Cursor,
}

impl FormatArg {
    fn format(self) -> Option<ConfigFormat> {
        match self {
            Self::Auto => None,
            Self::Claude => Some(ConfigFormat::Claude),
            Self::Vscode => Some(ConfigFormat::Vscode),
            Self::Cursor => Some(ConfigFormat::Cursor),
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Claude,
    Vscode,
    Cursor,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The mcp.json-style file (`-` for standard input).
    file: PathBuf,
    /// The file's shape; `auto` detects it.
    #[arg(long, value_enum, default_value = "auto")]
    format: FormatArg,
    /// Show what would be added and skipped, add nothing.
    #[arg(long)]
    dry_run: bool,
    /// Add every server in the plan (or those named with --only) without asking.
    #[arg(long)]
    yes: bool,
    /// Import only this server (repeat for more).
    #[arg(long = "only", value_name = "NAME")]
    only: Vec<String>,
    /// Save without testing the connections.
    #[arg(long)]
    skip_test: bool,
    /// Read placeholder values from stdin, one `REFERENCE=value` per line (REFERENCE as in the
    /// file, e.g. `${input:api-key}`, or just its id).
    #[arg(long)]
    values_stdin: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    /// The shape to write.
    #[arg(long, value_enum, default_value = "claude")]
    format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write tokens and header values in clear instead of placeholders.
    #[arg(long)]
    include_secrets: bool,
}

/// One server's outcome, for `--json`.
#[derive(Serialize)]
struct Outcome {
    name: String,
    added: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    saved: Option<patchbay_core::Saved>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn import(
    app: &Patchbay,
    workspace: &str,
    args: &ImportArgs,
    json: bool,
) -> Result<(), Failure> {
    if args.values_stdin && args.file == Path::new("-") {
        return Err(Failure::Input(
            "the file and the placeholder values cannot both come from stdin".into(),
        ));
    }
    let text = read_file(&args.file)?;
    let plan = app.import_plan(workspace, &text, args.format.format())?;
    if json && args.dry_run {
        return print_json(&plan);
    }
    show_plan(&plan, json);
    if args.dry_run {
        return Ok(());
    }
    let mut chosen: Vec<&CandidateView> = plan.candidates.iter().collect();
    if !args.only.is_empty() {
        for name in &args.only {
            if !plan.candidates.iter().any(|c| &c.name == name) {
                let skipped = plan.skipped.iter().find(|s| &s.name == name);
                return Err(Failure::Input(match skipped {
                    Some(skipped) => format!("{name:?} is skipped: {}", skipped.reason),
                    None => format!(
                        "the file has no server {name:?} to import (it offers: {})",
                        names(&plan.candidates)
                    ),
                }));
            }
        }
        chosen.retain(|c| args.only.contains(&c.name));
    }
    if chosen.is_empty() {
        eprintln!("Nothing to import.");
        return if json { print_json(&[0; 0]) } else { Ok(()) };
    }
    if !args.yes {
        if !terminal() {
            return Err(Failure::Input(
                "nothing was added: confirm with --yes (after checking the plan above, e.g. with \
                 --dry-run), or choose servers with --only NAME --yes"
                    .into(),
            ));
        }
        let mut confirmed = Vec::new();
        for candidate in chosen {
            if confirm(&format!(
                "Add {:?} ({})? [y/N] ",
                candidate.name,
                patchbay_core::shown_url(&candidate.url)
            ))? {
                confirmed.push(candidate);
            }
        }
        chosen = confirmed;
        if chosen.is_empty() {
            eprintln!("Nothing added.");
            return Ok(());
        }
    }
    let values = placeholder_values(&chosen, args.values_stdin)?;
    let mut outcomes = Vec::new();
    for candidate in &chosen {
        if !args.skip_test {
            eprintln!(
                "Testing {} ({}) …",
                candidate.name,
                patchbay_core::shown_url(&candidate.url)
            );
        }
        let added = app
            .import_connector(
                workspace,
                &text,
                Some(plan.format),
                &candidate.name,
                &values,
                !args.skip_test,
            )
            .await;
        match added {
            Ok(saved) => {
                if !json {
                    crate::output::saved(
                        &saved,
                        "Added",
                        &login_command(workspace, &saved.connector.name),
                        false,
                    )?;
                }
                outcomes.push(Outcome {
                    name: candidate.name.clone(),
                    added: true,
                    saved: Some(saved),
                    error: None,
                });
            }
            Err(error) => {
                eprintln!("Not added {:?}: {error}", candidate.name);
                if let Some(diagnosis) = error.diagnosis() {
                    crate::output::diagnosis_details(diagnosis);
                }
                outcomes.push(Outcome {
                    name: candidate.name.clone(),
                    added: false,
                    saved: None,
                    error: Some(error.to_string()),
                });
            }
        }
    }
    if json {
        print_json(&outcomes)?;
    }
    let failed = outcomes.iter().filter(|o| !o.added).count();
    if failed > 0 {
        return Err(Failure::Other(format!(
            "{failed} of {} servers were not added (the others were)",
            outcomes.len()
        )));
    }
    eprintln!(
        "Imported {} {}.",
        outcomes.len(),
        if outcomes.len() == 1 {
            "server"
        } else {
            "servers"
        }
    );
    Ok(())
}

pub fn export(app: &Patchbay, workspace: &str, args: &ExportArgs) -> Result<(), Failure> {
    let format = match args.format {
        ExportFormat::Claude => ConfigFormat::Claude,
        ExportFormat::Vscode => ConfigFormat::Vscode,
        ExportFormat::Cursor => ConfigFormat::Cursor,
    };
    let mut text = app.export_workspace(workspace, format, args.include_secrets)?;
    text.push('\n');
    if args.include_secrets {
        eprintln!(
            "warning: the export holds this workspace's tokens and header values in clear; \
             anyone who reads it can use these connectors as you"
        );
    }
    match &args.output {
        None => {
            // As serde wrote it: JSON escapes control characters itself.
            crate::term::out(&text);
        }
        Some(path) => {
            write_whole(path, text.as_bytes(), args.include_secrets)?;
            eprintln!(
                "Wrote {} ({} format{}).",
                path.display(),
                format.label(),
                if args.include_secrets {
                    ", readable only by you"
                } else {
                    ", secrets as placeholders"
                }
            );
        }
    }
    Ok(())
}

/// The offer in an install link, shown, and confirmed on the terminal unless `yes`.
pub fn confirm_offer(offer: &InstallOffer, yes: bool) -> Result<(), Failure> {
    eprintln!(
        "The link adds {:?}: {} (server {}), {}.",
        offer.name,
        offer.url,
        offer.host,
        match offer.auth {
            patchbay_core::AuthKind::None => "no sign-in",
            patchbay_core::AuthKind::Token => "an access token",
            patchbay_core::AuthKind::OAuth => "OAuth sign-in",
        }
    );
    if yes {
        return Ok(());
    }
    if !terminal() {
        return Err(Failure::Input(
            "nothing was added: confirm the link's connector with --yes".into(),
        ));
    }
    if confirm(&format!(
        "Add it to Patchbay (only if you trust {})? [y/N] ",
        offer.host
    ))? {
        Ok(())
    } else {
        Err(Failure::Input("nothing was added".into()))
    }
}

fn show_plan(plan: &ImportPlan, json: bool) {
    // With --json the plan goes to stderr as lines; stdout holds the outcomes.
    let line = |text: String| {
        if json {
            eprintln!("{text}");
        } else {
            println!("{text}");
        }
    };
    line(format!(
        "Read as {}'s configuration: {} to add, {} skipped.",
        plan.format.label(),
        plan.candidates.len(),
        plan.skipped.len()
    ));
    for candidate in &plan.candidates {
        let mut details = vec![format!("auth {}", auth_word(candidate.auth))];
        if !candidate.header_names.is_empty() {
            details.push(format!("headers {}", candidate.header_names.join(", ")));
        }
        if candidate.transport.as_deref() == Some("sse") {
            details.push("legacy SSE".into());
        }
        if !candidate.placeholders.is_empty() {
            let needs: Vec<&str> = candidate
                .placeholders
                .iter()
                .map(|p| p.reference.as_str())
                .collect();
            details.push(format!("needs {}", needs.join(", ")));
        }
        if !candidate.ignored.is_empty() {
            details.push(format!("ignores {}", candidate.ignored.join(", ")));
        }
        line(format!(
            "  + {}  {}  ({})",
            candidate.name,
            patchbay_core::shown_url(&candidate.url),
            details.join("; ")
        ));
    }
    for skipped in &plan.skipped {
        line(format!("  - {}  skipped: {}", skipped.name, skipped.reason));
    }
}

fn auth_word(auth: patchbay_core::AuthKind) -> &'static str {
    match auth {
        patchbay_core::AuthKind::None => "none",
        patchbay_core::AuthKind::Token => "token",
        patchbay_core::AuthKind::OAuth => "oauth",
    }
}

fn names(candidates: &[CandidateView]) -> String {
    if candidates.is_empty() {
        return "nothing".into();
    }
    candidates
        .iter()
        .map(|c| format!("{:?}", c.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A yes/no question on the terminal; anything but y/yes is no.
fn confirm(prompt: &str) -> Result<bool, Failure> {
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| Failure::Input(format!("cannot read the answer: {error}")))?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

/// The file's text (`-`: stdin), refused when it is not text or too large to be a configuration.
fn read_file(path: &Path) -> Result<String, Failure> {
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(MAX_FILE_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path)
            .and_then(|file| file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
    };
    read.map_err(|error| Failure::Input(format!("cannot read {}: {error}", path.display())))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Failure::Input(format!(
            "{} is larger than {} KiB; is it an MCP configuration?",
            path.display(),
            MAX_FILE_BYTES / 1024
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| Failure::Input(format!("{} is not UTF-8 text", path.display())))
}

/// Values for every placeholder the chosen servers have: from stdin lines, the environment
/// (`${env:NAME}` only), or the terminal. A missing one is an error before anything is added.
fn placeholder_values(
    chosen: &[&CandidateView],
    from_stdin: bool,
) -> Result<Vec<(String, Secret)>, Failure> {
    let mut wanted = Vec::new();
    for placeholder in chosen.iter().flat_map(|c| &c.placeholders) {
        if !wanted
            .iter()
            .any(|known: &&patchbay_core::Placeholder| known.reference == placeholder.reference)
        {
            wanted.push(placeholder);
        }
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    let given = if from_stdin {
        stdin_values()?
    } else {
        Vec::new()
    };
    let mut values = Vec::new();
    let mut missing = Vec::new();
    for placeholder in wanted {
        let from_lines = given.iter().find(|(key, _)| {
            key == &placeholder.reference
                || key == &placeholder.id
                || *key == format!("{}:{}", placeholder.kind, placeholder.id)
        });
        if let Some((_, value)) = from_lines {
            values.push((placeholder.reference.clone(), value.clone()));
            continue;
        }
        if placeholder.kind == "env"
            && let Ok(value) = std::env::var(&placeholder.id)
            && !value.is_empty()
        {
            eprintln!(
                "{} is taken from the environment variable {}.",
                placeholder.reference, placeholder.id
            );
            values.push((placeholder.reference.clone(), Secret::new(value)));
            continue;
        }
        if !from_stdin && std::io::stdin().is_terminal() {
            let what = match &placeholder.description {
                Some(description) => format!("{} ({description})", placeholder.reference),
                None => placeholder.reference.clone(),
            };
            eprintln!("Type or paste the value of {what}, then press Enter (nothing is shown):");
            let value = zeroize::Zeroizing::new(rpassword::read_password().map_err(|error| {
                Failure::Input(format!("cannot read {}: {error}", placeholder.reference))
            })?);
            values.push((placeholder.reference.clone(), Secret::new(value.trim())));
            continue;
        }
        missing.push(placeholder.reference.clone());
    }
    if !missing.is_empty() {
        return Err(Failure::Input(format!(
            "nothing was added: no value for {}; give each as a `REFERENCE=value` line on stdin \
             with --values-stdin{}",
            missing.join(", "),
            if missing.iter().any(|m| m.starts_with("${env:")) {
                " (or set the environment variable)"
            } else {
                ""
            }
        )));
    }
    Ok(values)
}

/// `KEY=value` lines from stdin (empty lines and `#` comments skipped).
fn stdin_values() -> Result<Vec<(String, Secret)>, Failure> {
    let buffer = crate::read_stdin("the placeholder values")?;
    let mut values = Vec::new();
    for (number, line) in buffer.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Failure::Input(format!(
                "line {} of the values on stdin is not `REFERENCE=value`",
                number + 1
            )));
        };
        values.push((key.trim().to_owned(), Secret::new(value.trim())));
    }
    Ok(values)
}

/// Writes `bytes` to `path` whole or not at all: a temporary file beside it, renamed over it.
/// `private` makes it readable by its owner only (it holds secrets).
fn write_whole(path: &Path, bytes: &[u8], private: bool) -> Result<(), Failure> {
    let failed =
        |error: std::io::Error| Failure::Other(format!("cannot write {}: {error}", path.display()));
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Failure::Input(format!("{} is not a file name", path.display())))?;
    let temporary = directory.join(format!(
        ".{}.{}.tmp",
        file_name.to_string_lossy(),
        std::process::id()
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let written = options.open(&temporary).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(error) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(failed(error));
    }
    Ok(())
}
