//! The shell itself (`lib.rs`): what the page may do besides Patchbay's commands. It may listen
//! to the app's events but not emit any: the deep-link plugin delivers links as the app-wide
//! event `deep-link://new-url`, so a page that could emit would reach the OAuth callback handler
//! (issue 11), and no other event is the page's to send.

use serde_json::json;

use super::{TestResult, fresh, invoke};

#[test]
fn the_page_may_listen_to_events_but_not_emit_them() -> TestResult {
    let (_dir, app) = fresh()?;
    let listened = invoke(
        &app,
        "plugin:event|listen",
        json!({ "event": "connector-status", "target": { "kind": "Any" }, "handler": 7 }),
    )?;
    assert!(listened.is_ok(), "the UI listens to events: {listened:?}");
    for (command, event) in [
        ("plugin:event|emit", "deep-link://new-url"),
        ("plugin:event|emit", "input-requested"),
        ("plugin:event|emit_to", "deep-link://new-url"),
    ] {
        let emitted = invoke(
            &app,
            command,
            json!({
                "event": event,
                "target": { "kind": "Any" },
                "payload": ["dev.patchbay.desktop:/oauth/callback?code=forged&state=guessed"],
            }),
        )?;
        let refusal = emitted
            .err()
            .ok_or_else(|| format!("the page emitted {event} with {command}"))?;
        assert!(
            refusal.to_string().contains("not allowed"),
            "{command} {event}: {refusal}"
        );
    }
    // Nor any other API the page has no use for: the window's, and the deep-link, opener and
    // notification plugins' (used from Rust only).
    for (command, args) in [
        ("plugin:window|close", json!({ "label": "main" })),
        ("plugin:deep-link|get_current", json!({})),
        ("plugin:deep-link|register", json!({ "protocol": "evil" })),
        (
            "plugin:opener|open_url",
            json!({ "url": "file:///etc/passwd" }),
        ),
        (
            "plugin:notification|notify",
            json!({ "options": { "title": "x" } }),
        ),
    ] {
        let refused = invoke(&app, command, args)?;
        let refusal = refused
            .err()
            .ok_or_else(|| format!("the page may call {command}"))?;
        assert!(
            refusal.to_string().contains("not allowed"),
            "{command}: {refusal}"
        );
    }
    Ok(())
}
