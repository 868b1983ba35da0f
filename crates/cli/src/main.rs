//! `patchbay`: the headless command line over the same store as the desktop app.
//!
//! The contract (scripts depend on it): data on stdout (`--json` for machines), errors as one
//! line on stderr plus a hint, exit 0 on success, 2 on bad input (including unknown names), 1 on
//! any other failure. Secrets are read from stdin only, never from argv.

mod output;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use patchbay_core::mcp::{CallError, Timeouts};
use patchbay_core::oauth::step_up::{Reauthentication, Verdict};
use patchbay_core::{AuthKind, ConnectorEdit, ConnectorSpec, Error, ErrorKind, Patchbay, Secret};

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
    /// Seconds to wait for a server before giving up.
    #[arg(long, global = true, env = "PATCHBAY_TIMEOUT", default_value_t = 30, value_name = "SECONDS",
          value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
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
    /// List a connector's tools.
    Tools { name: String },
    /// Call one of a connector's tools.
    Call {
        name: String,
        tool: String,
        /// Arguments as a JSON object.
        #[arg(long, value_name = "JSON")]
        args: Option<String>,
    },
    /// List a connector's resources.
    Resources { name: String },
    /// List a connector's prompts.
    Prompts { name: String },
}

#[derive(Subcommand)]
enum WorkspaceCommand {
    List,
    Add { name: String },
    Rename { old: String, new: String },
    Remove { name: String },
}

#[derive(Clone, Copy, ValueEnum)]
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
    /// A custom header sent on every request, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "'NAME: VALUE'")]
    headers: Vec<String>,
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
}

#[derive(Subcommand)]
enum ConnectorCommand {
    /// Test a server and save it as a connector if the test passes.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        url: String,
        /// How to authenticate (default: token if --token-stdin is given, else none).
        #[arg(long, value_enum)]
        auth: Option<AuthArg>,
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
    /// Change a connector; the result is tested before it is saved.
    Edit {
        name: String,
        #[arg(long = "name", value_name = "NEW")]
        new_name: Option<String>,
        #[arg(long)]
        url: Option<String>,
        #[command(flatten)]
        credentials: CredentialArgs,
        /// Remove all custom headers.
        #[arg(long, conflicts_with = "headers")]
        clear_headers: bool,
        #[arg(long)]
        skip_test: bool,
    },
}

/// Warnings only; rmcp's worker logs a failed handshake (with the server's body) at ERROR, which
/// our diagnosis already explains in plain words.
const DEFAULT_LOG_FILTER: &str = "warn,rmcp::transport::worker=off";

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        .init();
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
    Core(Error),
    Input(String),
    Other(String),
    /// A failure with what to do about it.
    Hinted {
        message: String,
        hint: String,
    },
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self::Core(error)
    }
}

impl Failure {
    fn report(self) -> ExitCode {
        match self {
            Self::Core(error) => {
                eprintln!("error: {error}");
                if let Some(diagnosis) = error.diagnosis() {
                    output::diagnosis_details(diagnosis);
                }
                if let Some(hint) = error.hint().filter(|hint| !hint.is_empty()) {
                    eprintln!("hint: {hint}");
                }
                match error.kind() {
                    ErrorKind::InvalidInput | ErrorKind::NotFound => ExitCode::from(2),
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
            Self::Hinted { message, hint } => {
                eprintln!("error: {message}");
                eprintln!("hint: {hint}");
                ExitCode::from(1)
            }
        }
    }
}

fn open(cli: &Cli) -> Result<Patchbay, Failure> {
    let data_dir = match &cli.data_dir {
        Some(dir) => dir.clone(),
        None => {
            patchbay_core::paths::default_data_dir().map_err(|e| Failure::Other(e.to_string()))?
        }
    };
    let service = patchbay_core::paths::keychain_service_from_env();
    let keychain = patchbay_core::keychain::os_keychain(&service);
    let seconds = Duration::from_secs(cli.timeout);
    let timeouts = Timeouts {
        connect: seconds.min(Duration::from_secs(10)),
        request: seconds,
    };
    Ok(Patchbay::open(&data_dir, keychain, &service)?.with_timeouts(timeouts))
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
        Command::Tools { name } => {
            let session = app.session(workspace, &name).await?;
            let tools = session.list_tools().await;
            session.close().await;
            let tools =
                tools.map_err(|e| request_failure(&app, workspace, &name, "listing tools", e))?;
            output::tools(&tools, json)
        }
        Command::Resources { name } => {
            let session = app.session(workspace, &name).await?;
            let resources = session.list_resources().await;
            session.close().await;
            let resources = resources
                .map_err(|e| request_failure(&app, workspace, &name, "listing resources", e))?;
            output::resources(&resources, json)
        }
        Command::Prompts { name } => {
            let session = app.session(workspace, &name).await?;
            let prompts = session.list_prompts().await;
            session.close().await;
            let prompts = prompts
                .map_err(|e| request_failure(&app, workspace, &name, "listing prompts", e))?;
            output::prompts(&prompts, json)
        }
        Command::Call { name, tool, args } => {
            let arguments = match args {
                None => None,
                Some(text) => match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(serde_json::Value::Object(map)) => Some(map),
                    Ok(_) => return Err(Failure::Input("--args must be a JSON object".into())),
                    Err(error) => {
                        return Err(Failure::Input(format!("--args is not valid JSON: {error}")));
                    }
                },
            };
            let session = app.session(workspace, &name).await?;
            let result = session.call_tool(&tool, arguments).await;
            session.close().await;
            let result = result.map_err(|e| {
                request_failure(&app, workspace, &name, &format!("calling {tool:?}"), e)
            })?;
            output::call_result(&result, json)
        }
    }
}

/// How a failed request is reported. A refusal for lack of scope (which the session has
/// recorded on the connector) names the scope and, when signing in again can grant it, the
/// exact command that does.
fn request_failure(
    app: &Patchbay,
    workspace: &str,
    name: &str,
    what: &str,
    error: CallError,
) -> Failure {
    let CallError::InsufficientScope { required_scope, .. } = &error else {
        return Failure::Other(format!("{what}: {error}"));
    };
    let verdict = match app.scope_verdict(workspace, name, required_scope.as_deref()) {
        Ok(verdict) => verdict,
        Err(judging) => {
            tracing::warn!(error = %judging, "judging a refusal for lack of scope");
            return Failure::Other(format!("{what}: {error}"));
        }
    };
    match &verdict {
        Verdict::SignInAgain { required } => Failure::Hinted {
            message: format!("{what}: {}", verdict.message()),
            hint: format!(
                "sign in again for scope {required} with: {}",
                login_command(workspace, name)
            ),
        },
        _ => Failure::Other(format!("{what}: {}", verdict.message())),
    }
}

/// `patchbay connector login NAME` (with the workspace when it is not the default), quoted for
/// a POSIX shell.
fn login_command(workspace: &str, name: &str) -> String {
    let mut command = format!("patchbay connector login {}", shell_word(name));
    if workspace != patchbay_core::store::DEFAULT_WORKSPACE {
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
            credentials,
            skip_test,
            oauth,
        } => {
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
            let headers = parse_headers(&credentials.headers)?;
            let grant = match auth {
                AuthKind::OAuth if oauth.client_credentials => {
                    Some(machine_sign_in(&url, &oauth, None).await?)
                }
                AuthKind::OAuth => Some(sign_in(&url, &oauth, None).await?),
                _ => None,
            };
            if !skip_test {
                eprintln!("Testing {url} …");
            }
            let spec = ConnectorSpec {
                name,
                url,
                auth,
                token,
                headers,
                oauth: grant,
            };
            let saved = app.add_connector(workspace, spec, !skip_test).await?;
            output::saved(&saved, "Added", json)
        }
        ConnectorCommand::Login { name, oauth } => {
            let url = app.connector(workspace, &name)?.url;
            // The client entered at the first sign-in is used again with the same server, and
            // scopes a server refused a request for are asked for too (step-up).
            let again = app.reauthentication(workspace, &name)?;
            let machine = oauth.client_credentials
                || again
                    .previous
                    .as_ref()
                    .is_some_and(patchbay_core::oauth::Registration::is_machine);
            let (grant, not_granted) = if machine {
                let previous = again.previous.as_ref();
                (machine_sign_in(&url, &oauth, previous).await?, Vec::new())
            } else {
                if let Some(required) = &again.required {
                    eprintln!(
                        "Asking for more permissions: scope {required} (requesting {}: what was \
                         granted before, and what the server asked for).",
                        again.scopes.join(" ")
                    );
                }
                let grant = sign_in(&url, &oauth, Some(&again)).await?;
                let not_granted = again.not_granted(&grant);
                (grant, not_granted)
            };
            eprintln!("Testing the new sign-in …");
            let saved = app.sign_in(workspace, &name, grant).await?;
            output::saved(&saved, "Signed in to", json)?;
            if !not_granted.is_empty() {
                eprintln!(
                    "warning: the server did not grant scope {}: what needs it will keep failing, \
                     and Patchbay will not ask for it again by itself; check the account's \
                     permissions with the server's administrator",
                    not_granted.join(" ")
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
            let diagnosis = app.test_connector(workspace, &name).await?;
            output::diagnosis(&diagnosis, json)?;
            if diagnosis.ok {
                Ok(())
            } else {
                Err(Failure::Core(Error::ConnectionFailed(Box::new(diagnosis))))
            }
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
            credentials,
            clear_headers,
            skip_test,
        } => {
            let token = read_token(credentials.token_stdin)?;
            let headers = if clear_headers {
                Some(Vec::new())
            } else if credentials.headers.is_empty() {
                None
            } else {
                Some(parse_headers(&credentials.headers)?)
            };
            let edit = ConnectorEdit {
                name: new_name,
                url,
                token,
                headers,
            };
            if !skip_test {
                eprintln!("Testing the changed connector …");
            }
            let saved = app
                .edit_connector(workspace, &name, edit, !skip_test)
                .await?;
            output::saved(&saved, "Updated", json)
        }
    }
}

/// Runs the OAuth sign-in in the browser with a loopback redirect; `again` is what signing in
/// again to a stored connector needs (its client registration, the step-up's scopes).
async fn sign_in(
    url: &str,
    args: &OAuthArgs,
    again: Option<&Reauthentication>,
) -> Result<patchbay_core::oauth::Grant, Failure> {
    let previous = again.and_then(|again| again.previous.as_ref());
    use patchbay_core::oauth;
    let server =
        patchbay_core::validate::url(url).map_err(|e| Failure::Core(Error::InvalidInput(e)))?;
    if args.private_key_stdin {
        return Err(Failure::Input(
            "--private-key-stdin is for machine connectors (--client-credentials)".into(),
        ));
    }
    if args.client_secret_stdin && args.client_id.is_none() {
        return Err(Failure::Input(
            "--client-secret-stdin needs the client's --client-id".into(),
        ));
    }
    let client_secret = if args.client_secret_stdin {
        read_secret(true, "the client secret")?
    } else {
        None
    };
    let choice = oauth::ClientChoice {
        client_id: args.client_id.clone(),
        client_secret,
        metadata_url: None,
    };
    let no_browser = args.no_browser;
    eprintln!("Discovering how {server} signs in …");
    if choice.client_id.is_none()
        && let Some(client) = previous.and_then(|previous| previous.reusable())
        && let Some(id) = client.client_id
    {
        eprintln!(
            "Signing in with the pre-registered client {id:?} saved with this connector (another \
             authorization server would get a new registration)."
        );
    }
    let browser = |authorize_url| async move {
        if no_browser {
            eprintln!("Open this URL in a browser to sign in:\n\n  {authorize_url}\n");
        } else if let Err(error) = oauth::open_in_browser(&authorize_url) {
            eprintln!(
                "Could not open a browser ({error}). Open this URL to sign in:\n\n  {authorize_url}\n"
            );
        } else {
            eprintln!("Your browser opened the sign-in page; if not, open:\n  {authorize_url}");
        }
        eprintln!("Waiting for the sign-in to finish (up to 5 minutes) …");
        Ok(())
    };
    let (limit, done_page) = (oauth::AUTHORIZE_TIMEOUT, oauth::done_page(None));
    let grant = match again {
        Some(again) => oauth::reauthenticate(again, choice, limit, &done_page, browser).await,
        None => {
            oauth::authorize_again(&server, choice, None, None, limit, &done_page, browser).await
        }
    };
    grant.map_err(|error| Failure::Other(format!("OAuth sign-in failed: {error}")))
}

/// Gets a machine connector's token with the client-credentials grant: the client entered on
/// the command line (its secret or key from stdin), or for `connector login` the client stored
/// with the connector (optionally with a new secret or key), which is then only sent to the
/// authorization server it was registered with.
async fn machine_sign_in(
    url: &str,
    args: &OAuthArgs,
    previous: Option<&patchbay_core::oauth::Registration>,
) -> Result<patchbay_core::oauth::Grant, Failure> {
    use patchbay_core::oauth::{self, ClientAuth};
    let server =
        patchbay_core::validate::url(url).map_err(|e| Failure::Core(Error::InvalidInput(e)))?;
    let auth = if args.private_key_stdin {
        let algorithm = args
            .signing_algorithm
            .as_deref()
            .unwrap_or_default()
            .parse()
            .map_err(|error: oauth::OAuthError| Failure::Input(error.to_string()))?;
        read_secret(true, "the private key (PEM)")?.map(|pem| ClientAuth::PrivateKeyJwt {
            private_key_pem: pem,
            algorithm,
        })
    } else if args.client_secret_stdin {
        read_secret(true, "the client secret")?.map(ClientAuth::Secret)
    } else {
        None
    };
    if let Some(
        ClientAuth::Secret(secret)
        | ClientAuth::PrivateKeyJwt {
            private_key_pem: secret,
            ..
        },
    ) = &auth
        && secret.is_empty()
    {
        return Err(Failure::Input("the secret or key on stdin is empty".into()));
    }
    let stored_id = previous
        .filter(|previous| previous.is_machine())
        .map(|previous| previous.client_id.as_str());
    // A client other than the stored one needs its own secret or key.
    let new_client = args
        .client_id
        .as_deref()
        .is_some_and(|id| Some(id) != stored_id);
    if (stored_id.is_none() || new_client) && (args.client_id.is_none() || auth.is_none()) {
        return Err(Failure::Input(
            "a machine connector needs --client-id and its secret (--client-secret-stdin) or \
             private key (--private-key-stdin --signing-algorithm ALG)"
                .into(),
        ));
    }
    let shown_id = args
        .client_id
        .clone()
        .or_else(|| previous.map(|previous| previous.client_id.clone()))
        .unwrap_or_default();
    eprintln!(
        "Requesting a token for the machine client {shown_id:?} from {server}'s authorization \
         server (client-credentials grant) …"
    );
    let machine = previous.filter(|previous| previous.is_machine());
    oauth::machine_grant_again(&server, machine, args.client_id.clone(), auth)
        .await
        .map_err(|error| Failure::Other(format!("OAuth client-credentials grant failed: {error}")))
}

/// Largest stdin we accept for a secret: far above any real token or key, far below trouble.
const MAX_STDIN_BYTES: u64 = 64 * 1024;

fn read_token(from_stdin: bool) -> Result<Option<Secret>, Failure> {
    read_secret(from_stdin, "the access token")
}

/// Reads `what` from stdin when asked to (secrets never come from argv).
fn read_secret(from_stdin: bool, what: &str) -> Result<Option<Secret>, Failure> {
    if !from_stdin {
        return Ok(None);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("Paste {what}, then press Enter and Ctrl-D:");
    }
    let mut buffer = zeroize::Zeroizing::new(String::new());
    stdin
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
    Ok(Some(Secret::new(buffer.trim())))
}

fn parse_headers(lines: &[String]) -> Result<Vec<(String, Secret)>, Failure> {
    lines
        .iter()
        .map(|line| {
            patchbay_core::validate::header(line)
                .map_err(|error| Failure::Core(Error::InvalidInput(error)))
        })
        .collect()
}
