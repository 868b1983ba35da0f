//! Sign-ins through the app's deep link and the loopback redirect, against stand-in authorization
//! servers (see [`authorization_server`]). The test plays the browser: it GETs the authorization
//! URL without following the redirect, and delivers the `Location` the way the OS would — to
//! [`Flows::deliver`] for the deep link, to the loopback listener over HTTP for loopback.

mod authorization_server;

use std::time::Duration;

use patchbay_core::oauth::flows::{Delivery, Dropped, Flows};
use patchbay_core::oauth::redirect::{
    DEEP_LINK_REDIRECT_URI, LOOPBACK_REDIRECT_URI_TO_REGISTER, NoRegistration, RedirectChoice,
};
use patchbay_core::oauth::sign_in::{BrowserError, SignInRequest, Visit, sign_in};
use patchbay_core::oauth::{ClientChoice, Grant, OAuthError};
use tokio::sync::mpsc;

use authorization_server::{AuthorizationServer, Registration};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn request(server: &AuthorizationServer, redirect: RedirectChoice) -> SignInRequest {
    SignInRequest {
        server_url: server.mcp_url(),
        client: ClientChoice::default(),
        challenge: None,
        redirect,
        limit: Duration::from_secs(20),
        done_page: "<p>done</p>".into(),
        route: Default::default(),
    }
}

/// The browser's visit: the authorization server auto-approves, so its answer is a redirect
/// whose `Location` is the callback.
async fn visit(url: &url::Url) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|error| error.to_string())?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|error| error.to_string())?;
    response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| format!("no redirect: {}", response.status()))
}

/// A browser that reports each visit and the callback it was redirected to, without delivering.
fn recording_browser(
    visits: mpsc::UnboundedSender<(Visit, String)>,
) -> impl FnOnce(Visit) -> std::pin::Pin<Box<dyn Future<Output = Result<(), BrowserError>> + Send>>
{
    move |visit_to: Visit| {
        Box::pin(async move {
            let location = visit(&visit_to.authorization_url).await?;
            visits
                .send((visit_to, location))
                .map_err(|error| BrowserError(error.to_string()))
        })
    }
}

fn access_token(grant: &Grant) -> Result<String, Box<dyn std::error::Error>> {
    let stored = grant.to_stored()?;
    let response = serde_json::to_value(stored.token_response.ok_or("no token response")?)?;
    Ok(response["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned())
}

#[tokio::test]
async fn two_deep_link_sign_ins_each_get_their_own_callback() -> TestResult {
    let first = AuthorizationServer::start("first", Registration::Open).await?;
    let second = AuthorizationServer::start("second", Registration::Open).await?;
    let flows = Flows::new();
    let (visits, mut visited) = mpsc::unbounded_channel::<(Visit, String)>();

    let deliver = async {
        let mut callbacks: Vec<String> = Vec::new();
        while callbacks.len() < 2 {
            let (visit, location) = visited.recv().await.ok_or("the browser went away")?;
            assert_eq!(
                visit.redirect_uri, DEEP_LINK_REDIRECT_URI,
                "the app's scheme is the first choice"
            );
            callbacks.push(location);
        }
        assert_eq!(flows.pending(), 2, "both sign-ins wait at once");
        assert_eq!(
            flows.deliver(&format!(
                "{DEEP_LINK_REDIRECT_URI}?code=forged&state=forged"
            )),
            Delivery::Dropped(Dropped::UnknownState),
            "an unsolicited deep link is dropped"
        );
        // Answer in the opposite order of the visits: routing is by state, not by arrival.
        for location in callbacks.iter().rev() {
            assert_eq!(flows.deliver(location), Delivery::Accepted, "{location}");
        }
        assert_eq!(
            flows.deliver(&callbacks[0]),
            Delivery::Dropped(Dropped::UnknownState),
            "a replayed callback finds nothing"
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    let (first_grant, second_grant, delivered) = tokio::join!(
        sign_in(
            &flows,
            request(&first, RedirectChoice::DeepLink),
            recording_browser(visits.clone())
        ),
        sign_in(
            &flows,
            request(&second, RedirectChoice::DeepLink),
            recording_browser(visits)
        ),
        deliver,
    );
    delivered?;
    assert_eq!(access_token(&first_grant?)?, "first-token");
    assert_eq!(access_token(&second_grant?)?, "second-token");
    for server in [&first, &second] {
        let codes = server.exchanged_codes();
        assert!(
            codes.len() == 1 && codes[0].starts_with(server.name),
            "each code goes only to the token endpoint of its own flow's server: {codes:?}"
        );
        assert_eq!(server.registered_redirects(), [DEEP_LINK_REDIRECT_URI]);
    }
    assert_eq!(flows.pending(), 0);
    Ok(())
}

#[tokio::test]
async fn a_refused_app_scheme_switches_to_loopback() -> TestResult {
    let server = AuthorizationServer::start("strict", Registration::HttpOnly).await?;
    let flows = Flows::new();
    let (visits, mut visited) = mpsc::unbounded_channel::<(Visit, String)>();
    let browse = async {
        let (visit, location) = visited.recv().await.ok_or("no visit")?;
        // The loopback listener is the browser's next stop.
        let page = reqwest::get(&location).await?.text().await?;
        Ok::<_, Box<dyn std::error::Error>>((visit, page))
    };
    let (grant, browsed) = tokio::join!(
        sign_in(
            &flows,
            request(&server, RedirectChoice::DeepLink),
            recording_browser(visits)
        ),
        browse
    );
    let (visit, page) = browsed?;
    assert_eq!(access_token(&grant?)?, "strict-token");
    assert!(
        visit.redirect_uri.starts_with("http://127.0.0.1:"),
        "loopback after the refusal: {}",
        visit.redirect_uri
    );
    assert_eq!(page, "<p>done</p>", "the loopback shows the done page");
    let registered = server.registered_redirects();
    assert!(
        registered.len() == 2 && registered[0] == DEEP_LINK_REDIRECT_URI,
        "the app's scheme first, then loopback: {registered:?}"
    );
    Ok(())
}

#[tokio::test]
async fn no_way_to_register_asks_for_a_client_id() -> TestResult {
    // (registration, redirect choice, why, the redirect URI to register, registrations tried)
    let cases = [
        (
            Registration::Absent,
            RedirectChoice::DeepLink,
            NoRegistration::NotOffered,
            DEEP_LINK_REDIRECT_URI,
            0,
        ),
        (
            Registration::Closed,
            RedirectChoice::DeepLink,
            NoRegistration::Refused(400),
            LOOPBACK_REDIRECT_URI_TO_REGISTER,
            2,
        ),
        (
            Registration::Closed,
            RedirectChoice::Loopback,
            NoRegistration::Refused(400),
            LOOPBACK_REDIRECT_URI_TO_REGISTER,
            1,
        ),
    ];
    for (registration, choice, why, uri, tries) in cases {
        let server = AuthorizationServer::start("closed", registration).await?;
        let outcome = sign_in(&Flows::new(), request(&server, choice), |_| async {
            Err::<(), BrowserError>(BrowserError("the browser must not open".into()))
        })
        .await;
        match outcome {
            Err(OAuthError::NeedsClientId {
                reason,
                redirect_uri,
            }) => {
                assert_eq!((reason, redirect_uri.as_str()), (why, uri), "{choice:?}");
            }
            other => panic!("{choice:?}: expected NeedsClientId, got {other:?}"),
        }
        assert_eq!(server.registered_redirects().len(), tries, "{choice:?}");
    }
    Ok(())
}

#[tokio::test]
async fn a_pre_registered_client_skips_registration() -> TestResult {
    let server = AuthorizationServer::start("own", Registration::Absent).await?;
    let flows = Flows::new();
    let (visits, mut visited) = mpsc::unbounded_channel::<(Visit, String)>();
    let mut own = request(&server, RedirectChoice::DeepLink);
    own.client.client_id = Some("own-client".into());
    let deliver = async {
        let (_, location) = visited.recv().await.ok_or("no visit")?;
        assert_eq!(flows.deliver(&location), Delivery::Accepted);
        Ok::<_, Box<dyn std::error::Error>>(())
    };
    let (grant, delivered) = tokio::join!(sign_in(&flows, own, recording_browser(visits)), deliver);
    delivered?;
    assert_eq!(access_token(&grant?)?, "own-token");
    assert!(server.registered_redirects().is_empty());
    Ok(())
}

#[tokio::test]
async fn a_cancelled_sign_in_leaves_nothing_to_answer() -> TestResult {
    let server = AuthorizationServer::start("cancel", Registration::Open).await?;
    let flows = Flows::new();
    let (visits, mut visited) = mpsc::unbounded_channel::<(Visit, String)>();
    let signing_in = sign_in(
        &flows,
        request(&server, RedirectChoice::DeepLink),
        recording_browser(visits),
    );
    let location = tokio::select! {
        outcome = signing_in => return Err(format!("the sign-in ended early: {outcome:?}").into()),
        visit = visited.recv() => visit.ok_or("no visit")?.1,
    };
    // The select dropped the sign-in: that is what Cancel does.
    assert_eq!(flows.pending(), 0, "the cancelled flow is unregistered");
    assert_eq!(
        flows.deliver(&location),
        Delivery::Dropped(Dropped::UnknownState),
        "its callback arriving later is dropped"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        server.exchanged_codes().is_empty(),
        "nothing is exchanged after Cancel"
    );
    Ok(())
}
