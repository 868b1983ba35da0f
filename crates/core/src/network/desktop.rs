//! The desktop's proxy settings, for "the system's proxy" when the environment names none: a
//! GNOME-family desktop (GNOME, Unity, Budgie, Cinnamon, Pantheon, MATE) keeps them in GSettings
//! (`org.gnome.system.proxy`), which programs started from the desktop do not see as
//! `HTTPS_PROXY`. They are read with the `gsettings` tool (one `list-recursively`), not by linking
//! GIO, so the CLI on a headless box needs no GLib; a missing tool or another desktop is simply no
//! desktop proxy. Read at most every [`FRESH_FOR`], so a change in the desktop's settings reaches
//! the running app without a restart.
//!
//! `mode 'manual'` gives the HTTP proxy (for `http://` servers) and the HTTPS proxy (for
//! `https://`), each `host` and `port`, and `ignore-hosts` (hosts, `*.domain`, addresses and
//! CIDR ranges), which become reqwest's `NoProxy`. `mode 'auto'` (a PAC script) cannot be
//! followed here: the diagnosis says so, and requests go straight out. The desktop's proxy
//! user name and password (`use-authentication`) are not read: such a proxy is set in Patchbay
//! with its credentials sealed.

use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long one reading of the desktop's settings is used.
const FRESH_FOR: Duration = Duration::from_secs(30);

/// Desktops that keep their proxy in `org.gnome.system.proxy` (`XDG_CURRENT_DESKTOP` names).
const GNOME_FAMILY: [&str; 6] = ["gnome", "unity", "budgie", "cinnamon", "pantheon", "mate"];

/// What the desktop says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DesktopProxy {
    /// `manual`: a proxy per scheme (`http://host:port`), and the hosts that bypass it.
    Manual {
        http: Option<String>,
        https: Option<String>,
        ignore: Vec<String>,
    },
    /// `auto`: a PAC script, which Patchbay does not run.
    Automatic,
}

impl DesktopProxy {
    /// The proxy for `scheme` (`http` or `https`), if the desktop names one.
    pub fn for_scheme(&self, scheme: &str) -> Option<&str> {
        match self {
            Self::Manual { http, https, .. } => match scheme {
                "https" => https.as_deref(),
                _ => http.as_deref(),
            },
            Self::Automatic => None,
        }
    }

    /// reqwest's bypass list for the ignored hosts (`*.corp` is written `.corp` there).
    pub fn no_proxy(&self) -> Option<reqwest::NoProxy> {
        let Self::Manual { ignore, .. } = self else {
            return None;
        };
        let list: Vec<&str> = ignore
            .iter()
            .map(|host| host.strip_prefix('*').unwrap_or(host))
            .collect();
        reqwest::NoProxy::from_string(&list.join(","))
    }
}

static CACHE: Mutex<Option<(Instant, Option<DesktopProxy>)>> = Mutex::new(None);

/// The desktop's proxy, when this is a GNOME-family desktop whose proxy mode is not `none`.
pub fn desktop_proxy() -> Option<DesktopProxy> {
    let desktop = std::env::var("XDG_CURRENT_DESKTOP").unwrap_or_default();
    let gnome = desktop
        .split(':')
        .any(|name| GNOME_FAMILY.contains(&name.to_ascii_lowercase().as_str()));
    if !gnome {
        return None;
    }
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((read_at, proxy)) = cache.as_ref()
        && read_at.elapsed() < FRESH_FOR
    {
        return proxy.clone();
    }
    let proxy = Command::new("gsettings")
        .args(["list-recursively", "org.gnome.system.proxy"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .and_then(|output| parse(&String::from_utf8_lossy(&output.stdout)));
    *cache = Some((Instant::now(), proxy.clone()));
    proxy
}

/// The proxy in `gsettings list-recursively org.gnome.system.proxy` output (lines of
/// `SCHEMA KEY VALUE`, values in GVariant text: `'manual'`, `3128`, `['localhost', '::1']`).
fn parse(listing: &str) -> Option<DesktopProxy> {
    let value = |schema: &str, key: &str| {
        listing.lines().find_map(|line| {
            let mut parts = line.splitn(3, ' ');
            (parts.next()? == schema && parts.next()? == key).then(|| parts.next())?
        })
    };
    match value("org.gnome.system.proxy", "mode")
        .map(unquote)
        .as_deref()
    {
        Some("manual") => {}
        Some("auto") => return Some(DesktopProxy::Automatic),
        _ => return None,
    }
    let proxy = |schema: &str| {
        let host = unquote(value(schema, "host")?);
        let port: u16 = value(schema, "port")?.trim().parse().ok()?;
        (!host.is_empty() && port != 0).then(|| format!("http://{host}:{port}"))
    };
    let http = proxy("org.gnome.system.proxy.http");
    let https = proxy("org.gnome.system.proxy.https");
    if http.is_none() && https.is_none() {
        return None;
    }
    let ignore = value("org.gnome.system.proxy", "ignore-hosts")
        .map(strings)
        .unwrap_or_default();
    Some(DesktopProxy::Manual {
        http,
        https,
        ignore,
    })
}

/// A GVariant string's text: `'x'` is `x` (host names carry no quotes or escapes).
fn unquote(text: &str) -> String {
    text.trim().trim_matches('\'').trim_matches('"').to_owned()
}

/// A GVariant string array's items: `['a', 'b']`; `@as []` is empty.
fn strings(text: &str) -> Vec<String> {
    let text = text.trim().trim_start_matches("@as").trim();
    text.trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(unquote)
        .filter(|item| !item.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `gsettings list-recursively org.gnome.system.proxy` printed on this machine after
    /// `gsettings set` of a manual proxy (GLib 2.74).
    const MANUAL: &str = "org.gnome.system.proxy autoconfig-url ''
org.gnome.system.proxy ignore-hosts ['localhost', '127.0.0.0/8', '*.corp.example']
org.gnome.system.proxy mode 'manual'
org.gnome.system.proxy use-same-proxy true
org.gnome.system.proxy.ftp host ''
org.gnome.system.proxy.ftp port 0
org.gnome.system.proxy.http authentication-password ''
org.gnome.system.proxy.http authentication-user ''
org.gnome.system.proxy.http enabled false
org.gnome.system.proxy.http host 'proxy.corp.example'
org.gnome.system.proxy.http port 3128
org.gnome.system.proxy.http use-authentication false
org.gnome.system.proxy.https host ''
org.gnome.system.proxy.https port 0
org.gnome.system.proxy.socks host ''
org.gnome.system.proxy.socks port 0
";

    #[test]
    fn a_manual_proxy_is_read_with_its_ignored_hosts() {
        let proxy = parse(MANUAL);
        assert_eq!(
            proxy,
            Some(DesktopProxy::Manual {
                http: Some("http://proxy.corp.example:3128".into()),
                https: None,
                ignore: vec![
                    "localhost".into(),
                    "127.0.0.0/8".into(),
                    "*.corp.example".into()
                ],
            })
        );
        let proxy = proxy.unwrap_or(DesktopProxy::Automatic);
        assert_eq!(
            proxy.for_scheme("http"),
            Some("http://proxy.corp.example:3128")
        );
        assert_eq!(proxy.for_scheme("https"), None);
        assert!(proxy.no_proxy().is_some());
    }

    #[test]
    fn none_auto_and_hostless_settings_are_told_apart() {
        assert_eq!(parse(&MANUAL.replace("'manual'", "'none'")), None);
        assert_eq!(
            parse(&MANUAL.replace("'manual'", "'auto'")),
            Some(DesktopProxy::Automatic)
        );
        assert_eq!(parse(&MANUAL.replace("'proxy.corp.example'", "''")), None);
        assert_eq!(parse(""), None);
        assert_eq!(strings("@as []"), Vec::<String>::new());
    }
}
