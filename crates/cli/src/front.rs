//! The CLI's side of a sign-in ([`SignInFront`]): it opens the browser (or prints the link with
//! `--no-browser`) and says each step on stderr, in the words people see in the terminal.

use patchbay_core::{BrowserError, SignInFront, SignInStep, Visit};

pub struct TerminalFront {
    /// Print the sign-in URL instead of opening the browser.
    pub no_browser: bool,
    /// What to say while the new credentials are tested ("Testing https://… …").
    pub testing: String,
}

#[async_trait::async_trait]
impl SignInFront for TerminalFront {
    async fn visit(&self, visit: Visit) -> Result<(), BrowserError> {
        let url = &visit.authorization_url;
        if self.no_browser {
            eprintln!("Open this URL in a browser to sign in:\n\n  {url}\n");
        } else if let Err(error) = patchbay_core::open_in_browser(url) {
            eprintln!("Could not open a browser ({error}). Open this URL to sign in:\n\n  {url}\n");
        } else {
            eprintln!("Your browser opened the sign-in page; if not, open:\n  {url}");
        }
        Ok(())
    }

    fn progress(&self, step: SignInStep<'_>) {
        match step {
            SignInStep::Discovering { server } => eprintln!("Discovering how {server} signs in …"),
            SignInStep::ReusingClient {
                client_id,
                dynamic: false,
            } => eprintln!(
                "Signing in with the pre-registered client {client_id:?} saved with this \
                 connector (another authorization server would get a new registration)."
            ),
            SignInStep::ReusingClient {
                client_id,
                dynamic: true,
            } => eprintln!(
                "Signing in with the client Patchbay registered with this server before \
                 ({client_id:?}); if the sign-in page rejects it, run this again with --new-client."
            ),
            SignInStep::AskingForMoreScopes { required, scopes } => eprintln!(
                "Asking for more permissions: scope {required} (requesting {}: what was granted \
                 before, and what the server asked for).",
                scopes.join(" ")
            ),
            SignInStep::Waiting { limit } => eprintln!(
                "Waiting for the sign-in to finish (up to {} minutes) …",
                limit.as_secs() / 60
            ),
            SignInStep::RequestingToken { client_id, server } => eprintln!(
                "Requesting a token for the machine client {client_id:?} from {server}'s \
                 authorization server (client-credentials grant) …"
            ),
            SignInStep::Testing => eprintln!("{}", self.testing),
        }
    }
}
