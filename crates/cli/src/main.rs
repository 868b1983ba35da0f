//! `patchbay`: the headless command line over the same store as the desktop app.
//!
//! The contract (scripts depend on it): data on stdout (`--json` for machines), errors as one
//! line on stderr plus a hint, exit 0 on success, 2 on bad input (including unknown names), 1 on
//! any other failure. Secrets are read from stdin only, never from argv.

// Every human line goes through `term::clean`: these shadow std's macros in the whole crate, so
// no call site can forget it (`--json` output goes through `term::out` as serde wrote it).
macro_rules! println {
    () => { crate::term::out("\n") };
    ($($arg:tt)*) => { crate::term::out(&::std::format!("{}\n", crate::term::clean(&::std::format!($($arg)*)))) };
}
macro_rules! eprintln {
    () => { ::std::eprintln!() };
    ($($arg:tt)*) => { ::std::eprintln!("{}", crate::term::clean(&::std::format!($($arg)*))) };
}
macro_rules! print {
    ($($arg:tt)*) => { crate::term::out(&crate::term::clean(&::std::format!($($arg)*))) };
}
macro_rules! eprint {
    ($($arg:tt)*) => { ::std::eprint!("{}", crate::term::clean(&::std::format!($($arg)*))) };
}

mod front;
mod input;
mod interop;
mod output;
mod providers;
mod settings;
mod steps;
mod term;
mod workbench;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use patchbay_core::{
    AuthKind, ClientChoice, ConnectorEdit, ConnectorSpec, Error, ErrorKind, Hint, JwtAlgorithm,
    MachineClientInput, MachineCredential, Patchbay, RedirectChoice, Remedy, Secret, SignInOptions,
    Timeouts,
};

use front::TerminalFront;

#[derive(Parser)]
#[command(
    name = "patchbay",
    version,
    about = "Manage MCP connectors from the command line"
)]
struct Cli {
    /// Data directory (default: the OS app-data directory of dev.patchbay.desktop).
    #[arg(long, global = true, env = "PATCHBAY_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Workspace to act in.
    #[arg(long, global = true, default_value = "Default", value_name = "NAME")]
    workspace: String,
    /// Print data as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Seconds to wait for a server before giving up (default: the request timeout in the
    /// app's settings, 30 unless changed); a connector's own timeout still wins.
    #[arg(long, global = true, env = "PATCHBAY_TIMEOUT", value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: Option<u64>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, rename, remove and list workspaces.
    #[command(subcommand)]
    Workspace(WorkspaceCommand),
    /// Add, edit, test and remove connectors.
    #[command(subcommand)]
    Connector(ConnectorCommand),
    /// List a connector's tools, whether each is enabled, and their size in tokens.
    Tools { name: String },
    /// Enable or disable a connector's tools (disabled tools are never offered to a model).
    #[command(subcommand)]
    Tool(workbench::ToolCommand),
    /// Call one of a connector's tools and show its result.
    Call {
        name: String,
        tool: String,
        #[command(flatten)]
        args: workbench::CallArgs,
    },
    /// List a connector's resources (the same as `resource list`).
    Resources { name: String },
    /// List or read a connector's resources.
    #[command(subcommand)]
    Resource(workbench::ResourceCommand),
    /// List a connector's prompts (the same as `prompt list`).
    Prompts { name: String },
    /// List a connector's prompts, or get one filled in.
    #[command(subcommand)]
    Prompt(workbench::PromptCommand),
    /// Add, edit, test and remove model providers, or find local ones.
    #[command(subcommand)]
    Provider(providers::ProviderCommand),
    /// List a provider's models and whether each can call tools, or say whether one can.
    Models(providers::ModelsArgs),
    /// Run a model that may call the connectors' tools, and print its answer.
    Run(steps::StepArgs),
    /// Save, list, show, run and remove LLM steps.
    #[command(subcommand)]
    Step(steps::StepCommand),
    /// Past step runs and their transcripts.
    #[command(subcommand)]
    Runs(steps::RunsCommand),
    /// The tools allowed "always" in step runs, and revoking them.
    #[command(subcommand)]
    Approvals(steps::ApprovalsCommand),
    /// Add the servers of a Claude Desktop, VS Code or Cursor mcp.json file (shows the plan
    /// first; tests each server).
    Import(interop::ImportArgs),
    /// Write the workspace's connectors as an mcp.json file for Claude Desktop, VS Code or
    /// Cursor (secrets as placeholders unless --include-secrets).
    Export(interop::ExportArgs),
    /// Show the app's settings, or change one (the desktop app uses the same).
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    List,
    Add { name: String },
    Rename { old: String, new: String },
    Remove { name: String },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OnOff {
    On,
    Off,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum AuthArg {
    None,
    Token,
    Oauth,
}

#[derive(Args)]
struct CredentialArgs {
    /// Read the access token from stdin (never pass secrets as arguments).
    #[arg(long)]
    token_stdin: bool,
    /// A custom header sent on every request, `Name: value` (repeatable). Arguments are
    /// visible to other users of this computer (in the process list): give secret values with
    /// --headers-stdin instead.
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    headers: Vec<String>,
    /// Read custom headers from stdin, one `Name: value` per line (on a terminal, typed without
    /// echo and ended with an empty line); combined with any --header.
    #[arg(long, conflicts_with = "token_stdin")]
    headers_stdin: bool,
}

impl CredentialArgs {
    /// The headers from --header and --headers-stdin; `None` when neither was given.
    fn headers(&self) -> Result<Option<Vec<(String, Secret)>>, Failure> {
        if self.headers.is_empty() && !self.headers_stdin {
            return Ok(None);
        }
        let mut headers = parse_headers(&self.headers)?;
        if self.headers_stdin {
            let lines = read_header_lines()?;
            headers.extend(parse_headers(&lines)?);
        }
        Ok(Some(headers))
    }
}

#[derive(Args)]
struct OAuthArgs {
    /// Print the sign-in URL instead of opening the browser.
    #[arg(long)]
    no_browser: bool,
    /// A pre-registered OAuth client id (skips dynamic client registration).
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// Read the pre-registered (or machine) client's secret from stdin.
    #[arg(long)]
    client_secret_stdin: bool,
    /// A machine connector: Patchbay gets its tokens with the client-credentials grant, no
    /// browser and no person (needs --client-id and --client-secret-stdin or
    /// --private-key-stdin).
    #[arg(long)]
    client_credentials: bool,
    /// Read the machine client's private key (PEM) from stdin, for private_key_jwt.
    #[arg(
        long,
        conflicts_with = "client_secret_stdin",
        requires = "signing_algorithm"
    )]
    private_key_stdin: bool,
    /// The private key's JWT signing algorithm: RS256, RS384, RS512, ES256 or ES384.
    #[arg(long, value_name = "ALG", requires = "private_key_stdin")]
    signing_algorithm: Option<String>,
    /// Register Patchbay with the server afresh instead of reusing the client it registered
    /// at the last sign-in.
    #[arg(long, conflicts_with = "client_id")]
    new_client: bool,
}

#[derive(Subcommand)]
enum ConnectorCommand {
    /// Test a server and save it as a connector if the test passes.
    Add {
        #[arg(long, required_unless_present = "from_link")]
        name: Option<String>,
        #[arg(long, required_unless_present = "from_link")]
        url: Option<String>,
        /// How to authenticate (default: token if --token-stdin is given, else none).
        #[arg(long, value_enum)]
        auth: Option<AuthArg>,
        /// Take the name, URL and auth from an install link
        /// (dev.patchbay.desktop://connect?… or …://install?config=…); shown and confirmed first.
        #[arg(long, value_name = "LINK", conflicts_with_all = ["name", "url", "auth"])]
        from_link: Option<String>,
        /// With --from-link: add without asking.
        #[arg(long, requires = "from_link")]
        yes: bool,
        #[command(flatten)]
        network: NetworkArgs,
        #[command(flatten)]
        credentials: CredentialArgs,
        /// Save without testing the connection.
        #[arg(long)]
        skip_test: bool,
        #[command(flatten)]
        oauth: OAuthArgs,
    },
    /// Sign in again to an OAuth connector (re-authenticate).
    Login {
        name: String,
        #[command(flatten)]
        oauth: OAuthArgs,
    },
    /// Forget an OAuth connector's tokens and client registration.
    Logout {
        name: String,
    },
    List,
    Show {
        name: String,
    },
    /// Test the connection and record the result as the connector's status.
    Test {
        name: String,
    },
    Remove {
        name: String,
    },
    /// The connector's last checks: when, outcome, latency, tool count, what went wrong.
    History {
        name: String,
    },
    /// A report of the connector and its last checks to paste in a bug report (no secrets).
    Diagnostics {
        name: String,
    },
    /// Stop checking a connector and offering it to steps.
    Pause {
        name: String,
    },
    /// Check a paused connector again and offer it to steps.
    Resume {
        name: String,
    },
    /// Whether the desktop app notifies when this connector stops working: on or off (the
    /// app-wide switch is `patchbay settings set notifications`).
    Notifications {
        name: String,
        #[arg(value_enum)]
        state: OnOff,
    },
    /// Copy a connector (e.g. for a second account on the same server). An OAuth copy needs
    /// signing in.
    Duplicate {
        name: String,
        /// The copy's name (default: "NAME (copy)").
        #[arg(long = "name", value_name = "NEW")]
        new_name: Option<String>,
    },
    /// Change a connector; the result is tested before it is saved.
    Edit {
        name: String,
        #[arg(long = "name", value_name = "NEW")]
        new_name: Option<String>,
        #[arg(long)]
        url: Option<String>,
        /// Change how it authenticates: `none` deletes the stored token or sign-in once the
        /// changed connector passes its test; `token` needs --token-stdin.
        #[arg(long, value_enum)]
        auth: Option<AuthArg>,
        #[command(flatten)]
        credentials: CredentialArgs,
        /// Remove all custom headers.
        #[arg(long, conflicts_with = "headers")]
        clear_headers: bool,
        /// Move a credential from the URL's query into a sealed header, `PARAMETER:HEADER`
        /// (e.g. `api_key:X-API-Key`), for a server that accepts it either way.
        #[arg(
            long,
            value_name = "PARAMETER:HEADER",
            conflicts_with = "clear_headers"
        )]
        query_to_header: Option<String>,
        #[command(flatten)]
        network: NetworkEditArgs,
        #[arg(long)]
        skip_test: bool,
    },
}

/// A connector's own network settings, when it is added.
#[derive(Args)]
struct NetworkArgs {
    /// Seconds to connect to this server (default: the app's, 10).
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(patchbay_core::MAX_CONNECT_TIMEOUT_SECS)))]
    connect_timeout: Option<u32>,
    /// Seconds one request may take, or a tool call stay silent (progress notifications start
    /// the wait again) (default: the app's, --timeout).
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(patchbay_core::MAX_REQUEST_TIMEOUT_SECS)))]
    request_timeout: Option<u32>,
    /// The proxy to go through: an http(s) URL without credentials, `system` (the environment's
    /// HTTPS_PROXY/HTTP_PROXY/NO_PROXY, the default) or `none`.
    #[arg(long, value_name = "URL|system|none", value_parser = parse_proxy)]
    proxy: Option<patchbay_core::ProxySetting>,
    /// Read the proxy's `user:password` from stdin (sealed like a token).
    #[arg(long, requires = "proxy", conflicts_with_all = ["token_stdin", "headers_stdin"])]
    proxy_credentials_stdin: bool,
    /// Also trust the CA certificates in this PEM file for this server (a private CA).
    #[arg(long, value_name = "PEM")]
    ca_file: Option<PathBuf>,
}

impl NetworkArgs {
    fn network(&self) -> Result<patchbay_core::NetworkInput, Failure> {
        Ok(patchbay_core::NetworkInput {
            settings: patchbay_core::ConnectorNetwork {
                connect_timeout_secs: self.connect_timeout,
                request_timeout_secs: self.request_timeout,
                proxy: self.proxy.clone(),
                proxy_credentials_set: false,
                ca_pem: self.ca_file.as_deref().map(read_ca_file).transpose()?,
            },
            proxy_credentials: read_secret(
                self.proxy_credentials_stdin,
                "the proxy's user:password",
            )?,
        })
    }
}

/// Changes to a connector's own network settings: a value, or `default` for the app's.
#[derive(Args)]
struct NetworkEditArgs {
    /// Seconds to connect to this server, or `default`.
    #[arg(long, value_name = "SECONDS|default", value_parser = parse_timeout_change)]
    connect_timeout: Option<patchbay_core::Change<u32>>,
    /// Seconds one request may take (or a tool call stay silent), or `default`.
    #[arg(long, value_name = "SECONDS|default", value_parser = parse_timeout_change)]
    request_timeout: Option<patchbay_core::Change<u32>>,
    /// The proxy: an http(s) URL without credentials, `system`, `none`, or `default`.
    #[arg(long, value_name = "URL|system|none|default", value_parser = parse_proxy_change)]
    proxy: Option<patchbay_core::Change<patchbay_core::ProxySetting>>,
    /// Read new proxy credentials, `user:password`, from stdin.
    #[arg(long, conflicts_with_all = ["token_stdin", "headers_stdin"])]
    proxy_credentials_stdin: bool,
    /// Trust the CA certificates in this PEM file for this server; `default` trusts only the
    /// system's again.
    #[arg(long, value_name = "PEM|default")]
    ca_file: Option<String>,
}

impl NetworkEditArgs {
    fn edit(&self) -> Result<patchbay_core::NetworkEdit, Failure> {
        use patchbay_core::Change;
        Ok(patchbay_core::NetworkEdit {
            connect_timeout_secs: self.connect_timeout.clone().unwrap_or_default(),
            request_timeout_secs: self.request_timeout.clone().unwrap_or_default(),
            proxy: self.proxy.clone().unwrap_or_default(),
            proxy_credentials: read_secret(
                self.proxy_credentials_stdin,
                "the proxy's user:password",
            )?
            .map_or(Change::Keep, Change::Set),
            ca_pem: match self.ca_file.as_deref() {
                None => Change::Keep,
                Some(text) if text.eq_ignore_ascii_case("default") => Change::Default,
                Some(path) => Change::Set(read_ca_file(std::path::Path::new(path))?),
            },
        })
    }
}

/// A PEM file's text (certificates are public; core checks they read).
pub(crate) fn read_ca_file(path: &std::path::Path) -> Result<String, Failure> {
    let limit = patchbay_core::MAX_CA_PEM_BYTES as u64;
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(limit + 1).read_to_string(&mut text))
        .map_err(|error| {
            Failure::Input(format!(
                "cannot read the CA file {}: {error}",
                path.display()
            ))
        })?;
    if text.len() as u64 > limit {
        return Err(Failure::Input(format!(
            "the CA file {} is larger than {} KiB",
            path.display(),
            limit / 1024
        )));
    }
    Ok(text)
}

pub(crate) fn parse_proxy(text: &str) -> Result<patchbay_core::ProxySetting, String> {
    use patchbay_core::ProxySetting;
    match text.to_ascii_lowercase().as_str() {
        "system" => Ok(ProxySetting::System),
        "none" | "direct" => Ok(ProxySetting::Direct),
        _ => {
            if text.contains('@') {
                return Err(
                    "put no credentials in the proxy URL (arguments are visible to other \
                            users); give them with --proxy-credentials-stdin"
                        .into(),
                );
            }
            Ok(ProxySetting::Explicit {
                url: text.trim().to_owned(),
            })
        }
    }
}

fn parse_proxy_change(
    text: &str,
) -> Result<patchbay_core::Change<patchbay_core::ProxySetting>, String> {
    if text.eq_ignore_ascii_case("default") {
        return Ok(patchbay_core::Change::Default);
    }
    parse_proxy(text).map(patchbay_core::Change::Set)
}

fn parse_timeout_change(text: &str) -> Result<patchbay_core::Change<u32>, String> {
    if text.eq_ignore_ascii_case("default") {
        return Ok(patchbay_core::Change::Default);
    }
    match text.parse::<u32>() {
        Ok(seconds) if seconds >= 1 => Ok(patchbay_core::Change::Set(seconds)),
        _ => Err(format!(
            "{text:?} is not a number of seconds (1 or more) or \"default\""
        )),
    }
}

/// Warnings only; rmcp's worker logs a failed handshake (with the server's body) at ERROR, which
/// our diagnosis already explains in plain words.
const DEFAULT_LOG_FILTER: &str = "warn,rmcp::transport::worker=off";

/// Standard error for log events (the formatter writes each event at once): a credential the
/// process knows of is taken out (libraries quote a URL with its query credentials in their own
/// events), and a server's control sequences quoted in an event are shown, not obeyed.
struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let redacted = patchbay_core::redact_remembered(&text);
        std::io::stderr()
            .lock()
            .write_all(term::clean(&redacted).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Added after `RUST_LOG`, whatever it asks for: rmcp's OAuth module logs the authorization code
/// (and registration responses) at debug level, so it never logs below info (checklist 29).
const ALWAYS_LOG_FILTER: &str = "rmcp::transport::auth=info";

fn main() -> ExitCode {
    // clap would name `--timeout` for a bad environment value: name the variable instead.
    if let Some(value) = std::env::var_os("PATCHBAY_TIMEOUT") {
        let text = value.to_string_lossy();
        if !text
            .trim()
            .parse::<u64>()
            .is_ok_and(|seconds| (1..=600).contains(&seconds))
        {
            eprintln!(
                "error: PATCHBAY_TIMEOUT must be a whole number of seconds from 1 to 600, not {text:?}"
            );
            return ExitCode::from(2);
        }
    }
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER));
    let filter = match ALWAYS_LOG_FILTER.parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(|| LogWriter)
        .init();
    for failure in patchbay_core::harden_process() {
        tracing::warn!("{failure}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

/// A failure and how to report it.
enum Failure {
    /// A core error, with the connector the command acted on (the subject of hints that need
    /// one), if any.
    Core(Box<Error>, Option<Subject>),
    Input(String),
    Other(String),
    /// The person pressed Ctrl-C; what ran is saved. Exit 130, as shells report SIGINT.
    Cancelled,
}

/// The workspace and connector a command acts on.
#[derive(Clone)]
struct Subject {
    workspace: String,
    connector: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Core(Box::new(error), None)
    }
}

impl Failure {
    fn report(self) -> ExitCode {
        match self {
            Self::Core(error, subject) => {
                match &*error {
                    // A failed sign-in says what failed, then the server's or the flow's words.
                    Error::SignIn(_) => eprintln!("error: OAuth sign-in failed: {error}"),
                    _ => eprintln!("error: {error}"),
                }
                if let Some(diagnosis) = error.diagnosis() {
                    output::diagnosis_details(diagnosis);
                }
                let hint = match &subject {
                    Some(subject) => error.hint_for(&subject.workspace, &subject.connector),
                    None => error.hint(),
                };
                let remedy = error.diagnosis().and_then(|diagnosis| diagnosis.remedy);
                if let Some(hint) = hint {
                    eprintln!("hint: {}", hint_line(&hint, remedy, subject.as_ref()));
                }
                match error.kind() {
                    ErrorKind::InvalidInput | ErrorKind::NotFound | ErrorKind::NeedsClientId => {
                        ExitCode::from(2)
                    }
                    _ => ExitCode::from(1),
                }
            }
            Self::Input(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Self::Other(message) => {
                eprintln!("error: {message}");
                ExitCode::from(1)
            }
            Self::Cancelled => ExitCode::from(130),
        }
    }
}

/// Core's hint in the CLI's words: a command line where there is one to run.
fn hint_line(hint: &Hint, remedy: Option<Remedy>, subject: Option<&Subject>) -> String {
    match hint {
        Hint::ListConnectors { workspace } => format!(
            "run `{}` to see the connectors of this workspace",
            with_workspace("patchbay connector list".into(), workspace)
        ),
        Hint::ListWorkspaces => "run `patchbay workspace list` to see the workspaces".into(),
        Hint::ReenterCredentials {
            workspace,
            connector,
        } => format!(
            "this connector's stored secret is damaged; set it again with `{} --token-stdin` \
             (other connectors are unaffected)",
            with_workspace(
                format!("patchbay connector edit {}", shell_word(connector)),
                workspace
            )
        ),
        Hint::SignInAgain {
            workspace,
            connector,
            scope,
        } => {
            let login = login_command(workspace, connector);
            match scope {
                Some(scope) => format!("sign in again for scope {scope} with: {login}"),
                None => format!("sign in again with: {login}"),
            }
        }
        Hint::EnterClientId { redirect_uri } => format!(
            "register Patchbay with the server's provider (redirect URI {redirect_uri}) and pass \
             its --client-id (and --client-secret-stdin if it has a secret)"
        ),
        Hint::Advice { text } => match (remedy, subject) {
            (Some(Remedy::SignInAgain), Some(subject)) => format!(
                "{text}: {}",
                login_command(&subject.workspace, &subject.connector)
            ),
            (Some(Remedy::NewClientCredentials), Some(subject)) => format!(
                "{text}: {} --client-secret-stdin (the new secret on stdin)",
                login_command(&subject.workspace, &subject.connector)
            ),
            _ => text.clone(),
        },
    }
}

fn open(cli: &Cli) -> Result<Patchbay, Failure> {
    let data_dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => patchbay_core::default_data_dir().map_err(|e| Failure::Other(e.to_string()))?,
    };
    let service = patchbay_core::keychain_service_from_env();
    let keychain = patchbay_core::os_keychain(&service);
    let mut app = Patchbay::open(&data_dir, keychain, &service)?
        .with_input(std::sync::Arc::new(input::TerminalInput::default()));
    if let Some(seconds) = cli.timeout {
        let seconds = Duration::from_secs(seconds);
        app = app.with_timeouts(Timeouts {
            connect: seconds.min(Duration::from_secs(10)),
            request: seconds,
        });
    }
    Ok(app)
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let app = open(&cli)?;
    let workspace = cli.workspace.as_str();
    let json = cli.json;
    match cli.command {
        Command::Workspace(command) => match command {
            WorkspaceCommand::List => output::workspaces(&app.workspaces()?, json),
            WorkspaceCommand::Add { name } => {
                let created = app.add_workspace(&name)?;
                eprintln!("Created workspace {:?}.", created.name);
                Ok(())
            }
            WorkspaceCommand::Rename { old, new } => {
                let renamed = app.rename_workspace(&old, &new)?;
                eprintln!("Renamed workspace {old:?} to {:?}.", renamed.name);
                Ok(())
            }
            WorkspaceCommand::Remove { name } => {
                app.remove_workspace(&name)?;
                eprintln!("Removed workspace {name:?} with its connectors and secrets.");
                Ok(())
            }
        },
        Command::Connector(command) => connector(&app, workspace, command, json).await,
        Command::Provider(command) => providers::provider(&app, workspace, command, json).await,
        Command::Models(args) => providers::models(&app, workspace, args, json).await,
        Command::Run(step) => steps::run(&app, workspace, &step, json).await,
        Command::Step(command) => steps::step(&app, workspace, command, json).await,
        Command::Runs(command) => steps::runs(&app, workspace, command, json),
        Command::Approvals(command) => steps::approvals(&app, workspace, command, json),
        Command::Tools { name } => workbench::tools(&app, workspace, &name, json).await,
        Command::Tool(command) => workbench::tool(&app, workspace, command, json).await,
        Command::Resources { name } => {
            let resources = app.list_resources(workspace, &name).await;
            output::resources(&resources.map_err(|e| on(e, workspace, &name))?, json)
        }
        Command::Resource(command) => workbench::resource(&app, workspace, command, json).await,
        Command::Prompts { name } => {
            let prompts = app.list_prompts(workspace, &name).await;
            output::prompts(&prompts.map_err(|e| on(e, workspace, &name))?, json)
        }
        Command::Prompt(command) => workbench::prompt(&app, workspace, command, json).await,
        Command::Call { name, tool, args } => {
            workbench::call(&app, workspace, &name, &tool, &args, json).await
        }
        Command::Import(args) => interop::import(&app, workspace, &args, json).await,
        Command::Export(args) => interop::export(&app, workspace, &args),
        Command::Settings(command) => settings::settings(&app, command, json),
    }
}

/// Said after adding a connector whose URL carries credentials in its query: they are sealed
/// and shown masked, and a server that also takes them as a header can have them moved.
fn query_credentials_note(workspace: &str, name: &str, parameters: &[String]) {
    let Some(first) = parameters.first() else {
        return;
    };
    eprintln!(
        "note: the URL carries {} in its query: the whole URL is sealed and shown masked. If the \
         server also accepts it as a header, move it there with: {}",
        parameters.join(", "),
        with_workspace(
            format!(
                "patchbay connector edit {} --query-to-header {}:HEADER",
                shell_word(name),
                shell_word(first)
            ),
            workspace
        )
    );
}

/// A core error met while acting on connector `name`.
fn on(error: Error, workspace: &str, name: &str) -> Failure {
    Failure::Core(
        Box::new(error),
        Some(Subject {
            workspace: workspace.to_owned(),
            connector: name.to_owned(),
        }),
    )
}

/// `patchbay connector login NAME` (with the workspace when it is not the default), quoted for
/// a POSIX shell.
fn login_command(workspace: &str, name: &str) -> String {
    let command = format!("patchbay connector login {}", shell_word(name));
    with_workspace(command, workspace)
}

/// `command` with `--workspace W` when `workspace` is not the default one.
fn with_workspace(mut command: String, workspace: &str) -> String {
    if !workspace.eq_ignore_ascii_case(patchbay_core::DEFAULT_WORKSPACE) {
        command.push_str(&format!(" --workspace {}", shell_word(workspace)));
    }
    command
}

fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.,:/@%+=".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

async fn connector(
    app: &Patchbay,
    workspace: &str,
    command: ConnectorCommand,
    json: bool,
) -> Result<(), Failure> {
    match command {
        ConnectorCommand::Add {
            name,
            url,
            auth,
            from_link,
            yes,
            network,
            credentials,
            skip_test,
            oauth,
        } => {
            let (name, url, auth) = match from_link {
                Some(link) => {
                    let offer = app.read_install_link(&link)?;
                    interop::confirm_offer(&offer, yes)?;
                    let auth = match offer.auth {
                        AuthKind::None => AuthArg::None,
                        AuthKind::Token => AuthArg::Token,
                        AuthKind::OAuth => AuthArg::Oauth,
                    };
                    if auth == AuthArg::Token && !credentials.token_stdin {
                        return Err(Failure::Input(
                            "this connector takes an access token, which links never carry: \
                             pass it with --token-stdin"
                                .into(),
                        ));
                    }
                    (offer.name, offer.url, Some(auth))
                }
                None => (name.unwrap_or_default(), url.unwrap_or_default(), auth),
            };
            let url_parameters = patchbay_core::url_secret_parameters(&url);
            let token = read_token(credentials.token_stdin)?;
            let auth = match auth {
                Some(AuthArg::None) => AuthKind::None,
                Some(AuthArg::Token) => AuthKind::Token,
                Some(AuthArg::Oauth) => AuthKind::OAuth,
                // A machine client is an OAuth client.
                None if oauth.client_credentials => AuthKind::OAuth,
                None if token.is_some() => AuthKind::Token,
                None => AuthKind::None,
            };
            if oauth.client_credentials && (auth != AuthKind::OAuth || token.is_some()) {
                return Err(Failure::Input(
                    "--client-credentials is for OAuth connectors (--auth oauth), which take no \
                     access token"
                        .into(),
                ));
            }
            let headers = credentials.headers()?.unwrap_or_default();
            let spec = ConnectorSpec {
                name,
                url,
                auth,
                token,
                headers,
                oauth: None,
                network: network.network()?,
            };
            let front = TerminalFront {
                no_browser: oauth.no_browser,
                testing: format!("Testing {} …", patchbay_core::shown_url(&spec.url)),
            };
            let saved = match auth {
                AuthKind::OAuth if oauth.client_credentials => {
                    let client = machine_client(&oauth)?;
                    app.add_machine_connector(workspace, spec, client, !skip_test, &front)
                        .await?
                }
                AuthKind::OAuth => {
                    let options = sign_in_options(&oauth)?;
                    app.authorize_connector(workspace, spec, options, !skip_test, &front)
                        .await?
                }
                _ => {
                    if !skip_test {
                        eprintln!("{}", front.testing);
                    }
                    app.add_connector(workspace, spec, !skip_test).await?
                }
            };
            output::saved(
                &saved,
                "Added",
                &login_command(workspace, &saved.connector.name),
                json,
            )?;
            query_credentials_note(workspace, &saved.connector.name, &url_parameters);
            Ok(())
        }
        ConnectorCommand::Login { name, oauth } => {
            let front = TerminalFront {
                no_browser: oauth.no_browser,
                testing: "Testing the new sign-in …".into(),
            };
            let subject = |error| on(error, workspace, &name);
            if oauth.client_credentials || oauth.private_key_stdin {
                // A machine client's grant again: the stored client, or what the flags give.
                let (client_id, credential) = machine_change(&oauth)?;
                let saved = app
                    .renew_machine_connector(workspace, &name, client_id, credential, &front)
                    .await
                    .map_err(subject)?;
                return output::saved(
                    &saved,
                    "Signed in to",
                    &login_command(workspace, &name),
                    json,
                );
            }
            // The client entered at the first sign-in is used again with the same server,
            // scopes a server refused a request for are asked for too (step-up), and a machine
            // connector runs its grant again (a secret from --client-secret-stdin replaces the
            // stored one).
            let options = sign_in_options(&oauth)?;
            let reauthorized = app
                .reauthenticate(workspace, &name, options, &front)
                .await
                .map_err(subject)?;
            output::saved(
                &reauthorized.saved,
                "Signed in to",
                &login_command(workspace, &name),
                json,
            )?;
            if !reauthorized.not_granted.is_empty() {
                eprintln!(
                    "warning: the server did not grant scope {}: what needs it will keep failing, \
                     and Patchbay will not ask for it again by itself; check the account's \
                     permissions with the server's administrator",
                    reauthorized.not_granted.join(" ")
                );
            }
            Ok(())
        }
        ConnectorCommand::Logout { name } => {
            app.forget_credentials(workspace, &name)?;
            eprintln!("Forgot the sign-in and client registration of {name:?}.");
            Ok(())
        }
        ConnectorCommand::List => output::connectors(&app.list_connectors(workspace)?, json),
        ConnectorCommand::Show { name } => {
            let connector = app.connector(workspace, &name)?;
            // Reading the client needs the keychain; `show` works without it, as `list` does.
            let client = if connector.auth == AuthKind::OAuth {
                app.oauth_client(workspace, &name).unwrap_or_else(|error| {
                    eprintln!("note: the OAuth client is not shown: {error}");
                    None
                })
            } else {
                None
            };
            output::connector(&connector, client.as_ref(), json)
        }
        ConnectorCommand::Test { name } => {
            eprintln!("Testing {name} …");
            let diagnosis = app
                .test_connector(workspace, &name)
                .await
                .map_err(|error| on(error, workspace, &name))?;
            output::diagnosis(&diagnosis, json)?;
            if diagnosis.ok {
                Ok(())
            } else {
                Err(on(
                    Error::ConnectionFailed(Box::new(diagnosis)),
                    workspace,
                    &name,
                ))
            }
        }
        ConnectorCommand::History { name } => workbench::history(app, workspace, &name, json),
        ConnectorCommand::Diagnostics { name } => {
            let report = app
                .diagnostics_report(workspace, &name)
                .map_err(|e| on(e, workspace, &name))?;
            if json {
                return output::print_json(&serde_json::json!({ "report": report }));
            }
            print!("{report}");
            Ok(())
        }
        ConnectorCommand::Pause { name } => {
            let paused = app
                .pause_connector(workspace, &name)
                .map_err(|e| on(e, workspace, &name))?;
            eprintln!(
                "Paused {:?}: it is not checked or offered to steps until resumed.",
                paused.name
            );
            if json {
                return output::print_json(&paused);
            }
            Ok(())
        }
        ConnectorCommand::Notifications { name, state } => {
            let enabled = state == OnOff::On;
            let changed = app
                .set_connector_notifications(workspace, &name, enabled)
                .map_err(|e| on(e, workspace, &name))?;
            eprintln!(
                "Notifications for {:?} are {}.",
                changed.name,
                if enabled { "on" } else { "off" }
            );
            if json {
                return output::print_json(&changed);
            }
            Ok(())
        }
        ConnectorCommand::Resume { name } => {
            let resumed = app
                .resume_connector(workspace, &name)
                .map_err(|e| on(e, workspace, &name))?;
            eprintln!("Resumed {:?}.", resumed.name);
            if json {
                return output::print_json(&resumed);
            }
            Ok(())
        }
        ConnectorCommand::Duplicate { name, new_name } => {
            let copy = app
                .duplicate_connector(workspace, &name, new_name.as_deref())
                .map_err(|e| on(e, workspace, &name))?;
            eprintln!("Copied {name:?} to {:?}.", copy.name);
            if copy.auth == AuthKind::OAuth
                && copy.status == patchbay_core::ConnectorStatus::NeedsAuth
            {
                eprintln!(
                    "hint: sign in to the copy with: {}",
                    login_command(workspace, &copy.name)
                );
            }
            if json {
                return output::print_json(&copy);
            }
            Ok(())
        }
        ConnectorCommand::Remove { name } => {
            app.remove_connector(workspace, &name)?;
            eprintln!("Removed connector {name:?} and its secrets.");
            Ok(())
        }
        ConnectorCommand::Edit {
            name,
            new_name,
            url,
            auth,
            credentials,
            clear_headers,
            query_to_header,
            network,
            skip_test,
        } => {
            let query_to_header = query_to_header
                .map(|text| match text.split_once(':') {
                    Some((parameter, header))
                        if !parameter.trim().is_empty() && !header.trim().is_empty() =>
                    {
                        Ok((parameter.trim().to_owned(), header.trim().to_owned()))
                    }
                    _ => Err(Failure::Input(format!(
                        "--query-to-header takes PARAMETER:HEADER (e.g. api_key:X-API-Key), not \
                         {text:?}"
                    ))),
                })
                .transpose()?;
            let token = read_token(credentials.token_stdin)?;
            let headers = if clear_headers {
                Some(Vec::new())
            } else {
                credentials.headers()?
            };
            let edit = ConnectorEdit {
                name: new_name,
                url,
                token,
                headers,
                auth: auth.map(|auth| match auth {
                    AuthArg::None => AuthKind::None,
                    AuthArg::Token => AuthKind::Token,
                    AuthArg::Oauth => AuthKind::OAuth,
                }),
                network: network.edit()?,
                query_to_header,
            };
            if !skip_test {
                eprintln!("Testing the changed connector …");
            }
            let saved = app
                .edit_connector(workspace, &name, edit, !skip_test)
                .await
                .map_err(|error| on(error, workspace, &name))?;
            output::saved(
                &saved,
                "Updated",
                &login_command(workspace, &saved.connector.name),
                json,
            )
        }
    }
}

/// A browser sign-in as the flags ask for it: a pre-registered client (`--client-id`, its
/// secret from stdin) and the loopback redirect (a terminal has no deep link).
fn sign_in_options(args: &OAuthArgs) -> Result<SignInOptions, Failure> {
    if args.private_key_stdin {
        return Err(Failure::Input(
            "--private-key-stdin is for machine connectors (--client-credentials)".into(),
        ));
    }
    let client_secret = if args.client_secret_stdin {
        read_secret(true, "the client secret")?
    } else {
        None
    };
    Ok(SignInOptions {
        client: ClientChoice {
            client_id: args.client_id.clone(),
            client_secret,
            metadata_url: None,
        },
        redirect: RedirectChoice::Loopback,
        flow_id: None,
        new_client: args.new_client,
    })
}

/// A new machine client from the flags: `--client-id` with its secret or private key (stdin).
fn machine_client(args: &OAuthArgs) -> Result<MachineClientInput, Failure> {
    match machine_change(args)? {
        (Some(client_id), Some(credential)) => Ok(MachineClientInput {
            client_id,
            credential,
        }),
        _ => Err(Failure::Input(
            "a machine connector needs --client-id and its secret (--client-secret-stdin) or \
             private key (--private-key-stdin --signing-algorithm ALG)"
                .into(),
        )),
    }
}

/// What the flags change of a machine client: its id, and a secret or key read from stdin.
fn machine_change(
    args: &OAuthArgs,
) -> Result<(Option<String>, Option<MachineCredential>), Failure> {
    let credential = if args.private_key_stdin {
        let algorithm: JwtAlgorithm = args
            .signing_algorithm
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|error| Failure::Input(format!("{error}")))?;
        read_secret(true, "the private key (PEM)")?
            .map(|pem| MachineCredential::PrivateKey { pem, algorithm })
    } else if args.client_secret_stdin {
        read_secret(true, "the client secret")?.map(MachineCredential::ClientSecret)
    } else {
        None
    };
    Ok((args.client_id.clone(), credential))
}

/// Largest stdin we accept for a secret: far above any real token or key, far below trouble.
const MAX_STDIN_BYTES: u64 = 64 * 1024;

fn read_token(from_stdin: bool) -> Result<Option<Secret>, Failure> {
    read_secret(from_stdin, "the access token")
}

/// Reads `what` from stdin when asked to (secrets never come from argv).
pub(crate) fn read_secret(from_stdin: bool, what: &str) -> Result<Option<Secret>, Failure> {
    if !from_stdin {
        return Ok(None);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return read_secret_from_terminal(what).map(Some);
    }
    let buffer = read_stdin(what)?;
    Ok(Some(Secret::new(buffer.trim())))
}

/// All of stdin (not a terminal), up to [`MAX_STDIN_BYTES`].
pub(crate) fn read_stdin(what: &str) -> Result<zeroize::Zeroizing<String>, Failure> {
    let mut buffer = zeroize::Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .take(MAX_STDIN_BYTES + 1)
        .read_to_string(&mut buffer)
        .map_err(|error| Failure::Input(format!("cannot read {what} from stdin: {error}")))?;
    if buffer.len() as u64 > MAX_STDIN_BYTES {
        return Err(Failure::Input(format!(
            "{what} on stdin is larger than {} KiB",
            MAX_STDIN_BYTES / 1024
        )));
    }
    Ok(buffer)
}

/// A secret typed or pasted on the terminal, never shown: one line, or a PEM key's lines up to
/// its `-----END` line.
fn read_secret_from_terminal(what: &str) -> Result<Secret, Failure> {
    eprintln!("Type or paste {what}, then press Enter (nothing is shown):");
    let mut text = zeroize::Zeroizing::new(String::new());
    loop {
        let line = zeroize::Zeroizing::new(
            rpassword::read_password()
                .map_err(|error| Failure::Input(format!("cannot read {what}: {error}")))?,
        );
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line.trim_end());
        if text.len() as u64 > MAX_STDIN_BYTES {
            return Err(Failure::Input(format!(
                "{what} is larger than {} KiB",
                MAX_STDIN_BYTES / 1024
            )));
        }
        let pem = text.trim_start().starts_with("-----BEGIN");
        if !pem || line.trim_start().starts_with("-----END") {
            return Ok(Secret::new(text.trim()));
        }
    }
}

/// Header lines from stdin (`Name: value`, empty lines skipped): typed without echo on a
/// terminal, up to an empty line.
fn read_header_lines() -> Result<zeroize::Zeroizing<Vec<String>>, Failure> {
    let stdin = std::io::stdin();
    let mut lines = zeroize::Zeroizing::new(Vec::new());
    if stdin.is_terminal() {
        eprintln!(
            "Type or paste the headers, one `Name: value` per line, then an empty line (nothing is shown):"
        );
        loop {
            let line = rpassword::read_password()
                .map_err(|error| Failure::Input(format!("cannot read the headers: {error}")))?;
            if line.trim().is_empty() {
                break;
            }
            lines.push(line);
        }
        return Ok(lines);
    }
    let buffer = read_stdin("the headers")?;
    lines.extend(
        buffer
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(str::to_owned),
    );
    Ok(lines)
}

fn parse_headers(lines: &[String]) -> Result<Vec<(String, Secret)>, Failure> {
    lines
        .iter()
        .map(|line| {
            patchbay_core::parse_header(line)
                .map_err(|error| Failure::from(Error::InvalidInput(error)))
        })
        .collect()
}
