//! The window shows Patchbay's own pages and nothing else: every navigation away from the app's
//! origin is refused. Sign-in pages open in the system browser (RFC 8252 §8.12: an embedded
//! view could read what the person types), and a link or script in server-provided content (a
//! tool result, a diagnosis) cannot turn the window into a remote page that would then talk to
//! the app's IPC (checklist 19, 34).

use tauri::plugin::TauriPlugin;
use tauri::{Runtime, Url};

/// A plugin whose only job is the navigation check (Tauri runs every plugin's check for every
/// webview, including windows created from the config).
pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|_webview, url| {
            let allowed = is_app_page(url);
            if !allowed {
                tracing::warn!(
                    scheme = url.scheme(),
                    "refused a navigation away from the app"
                );
            }
            allowed
        })
        .build()
}

/// The app's own origin: `tauri://localhost` (Linux, macOS) or `http(s)://tauri.localhost`
/// (Windows). The config sets no dev server URL: even debug builds load the built pages.
pub fn is_app_page(url: &Url) -> bool {
    matches!(
        (url.scheme(), url.host_str()),
        ("tauri", Some("localhost")) | ("http" | "https", Some("tauri.localhost"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_app_origin_is_navigable() {
        for ok in [
            "tauri://localhost/",
            "tauri://localhost/index.html#connectors",
            "http://tauri.localhost/",
        ] {
            assert!(is_app_page(&Url::parse(ok).expect("url")), "{ok}");
        }
        for refused in [
            "https://auth.example.com/authorize?client_id=x",
            "http://127.0.0.1:8080/",
            "http://localhost:1420/",
            "file:///etc/passwd",
            "tauri://evil.example/",
            "http://tauri.localhost.evil.example/",
            "javascript:alert(1)",
            "data:text/html,<script>1</script>",
        ] {
            assert!(
                !is_app_page(&Url::parse(refused).expect("url")),
                "{refused} must be refused"
            );
        }
    }
}
