//! `patchbay settings`: the app's settings, shown or changed one at a time (the desktop's
//! Settings page saves the same values).

use clap::{Subcommand, ValueEnum};
use patchbay_core::{AppSettings, Patchbay, ProxySetting, Theme};

use crate::Failure;
use crate::output::print_json;

#[derive(Subcommand)]
pub enum SettingsCommand {
    /// Every setting and its value.
    Show,
    /// Change one setting.
    Set {
        #[arg(value_enum)]
        key: SettingKey,
        value: String,
    },
    /// Put one setting back to its default.
    Reset {
        #[arg(value_enum)]
        key: SettingKey,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SettingKey {
    /// Seconds between checks of a connected connector (10–86400).
    MonitorInterval,
    /// Notify when a connector stops working: on or off.
    Notifications,
    /// system, light or dark.
    Theme,
    /// Seconds to connect, for connectors without their own (1–300).
    ConnectTimeout,
    /// Seconds a request may take, for connectors without their own (1–3600).
    RequestTimeout,
    /// The proxy for connectors without their own: an http(s) URL without credentials,
    /// `system` (the environment's) or `none`.
    Proxy,
    /// The app proxy's `user:password`: give `-` and type or pipe them on stdin (sealed).
    ProxyCredentials,
    /// A PEM file of CA certificates every connector trusts besides the system's.
    CaFile,
}

pub fn settings(app: &Patchbay, command: SettingsCommand, json: bool) -> Result<(), Failure> {
    match command {
        SettingsCommand::Show => show(&app.settings()?, json),
        SettingsCommand::Set {
            key: SettingKey::ProxyCredentials,
            value,
        } => {
            if value != "-" {
                return Err(Failure::Input(
                    "give the proxy credentials on stdin: `patchbay settings set \
                     proxy-credentials -` (arguments are visible to other users)"
                        .into(),
                ));
            }
            let credentials = crate::read_secret(true, "the proxy's user:password")?;
            let saved = app.set_proxy_credentials(credentials)?;
            eprintln!("Saved (sealed).");
            show(&saved, json)
        }
        SettingsCommand::Set { key, value } => {
            let changed = set(app.settings()?, key, &value)?;
            let saved = app.save_settings(changed)?;
            eprintln!("Saved.");
            show(&saved, json)
        }
        SettingsCommand::Reset { key } => {
            let defaults = AppSettings::default();
            let mut settings = app.settings()?;
            match key {
                SettingKey::MonitorInterval => {
                    settings.monitor_interval_secs = defaults.monitor_interval_secs;
                }
                SettingKey::Notifications => settings.notifications = defaults.notifications,
                SettingKey::Theme => settings.theme = defaults.theme,
                SettingKey::ConnectTimeout => {
                    settings.connect_timeout_secs = defaults.connect_timeout_secs;
                }
                SettingKey::RequestTimeout => {
                    settings.request_timeout_secs = defaults.request_timeout_secs;
                }
                SettingKey::Proxy => settings.proxy = defaults.proxy,
                SettingKey::CaFile => settings.ca_pem = None,
                SettingKey::ProxyCredentials => {
                    let saved = app.set_proxy_credentials(None)?;
                    eprintln!("Reset.");
                    return show(&saved, json);
                }
            }
            let saved = app.save_settings(settings)?;
            eprintln!("Reset.");
            show(&saved, json)
        }
    }
}

fn set(mut settings: AppSettings, key: SettingKey, value: &str) -> Result<AppSettings, Failure> {
    let seconds = || {
        value
            .trim()
            .parse::<u32>()
            .map_err(|_| Failure::Input(format!("{value:?} is not a whole number of seconds")))
    };
    match key {
        SettingKey::MonitorInterval => settings.monitor_interval_secs = seconds()?,
        SettingKey::ConnectTimeout => settings.connect_timeout_secs = seconds()?,
        SettingKey::RequestTimeout => settings.request_timeout_secs = seconds()?,
        SettingKey::Notifications => {
            settings.notifications = match value.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "yes" => true,
                "off" | "false" | "no" => false,
                _ => {
                    return Err(Failure::Input(format!(
                        "notifications are on or off, not {value:?}"
                    )));
                }
            };
        }
        SettingKey::Proxy => {
            settings.proxy = crate::parse_proxy(value).map_err(Failure::Input)?;
        }
        SettingKey::CaFile => {
            settings.ca_pem = Some(crate::read_ca_file(std::path::Path::new(value))?);
        }
        // Handled before: it is read from stdin.
        SettingKey::ProxyCredentials => {}
        SettingKey::Theme => {
            settings.theme = match value.trim().to_ascii_lowercase().as_str() {
                "system" => Theme::System,
                "light" => Theme::Light,
                "dark" => Theme::Dark,
                _ => {
                    return Err(Failure::Input(format!(
                        "the theme is system, light or dark, not {value:?}"
                    )));
                }
            };
        }
    }
    Ok(settings)
}

fn show(settings: &AppSettings, json: bool) -> Result<(), Failure> {
    if json {
        return print_json(settings);
    }
    println!("monitor-interval  {} s", settings.monitor_interval_secs);
    println!(
        "notifications     {}",
        if settings.notifications { "on" } else { "off" }
    );
    println!(
        "theme             {}",
        match settings.theme {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    );
    println!("connect-timeout   {} s", settings.connect_timeout_secs);
    println!("request-timeout   {} s", settings.request_timeout_secs);
    println!(
        "proxy             {}{}",
        match &settings.proxy {
            ProxySetting::System => "system".to_owned(),
            ProxySetting::Direct => "none".to_owned(),
            ProxySetting::Explicit { url } => url.clone(),
        },
        if settings.proxy_credentials_set {
            " (with stored credentials)"
        } else {
            ""
        }
    );
    println!(
        "ca-file           {}",
        match &settings.ca_pem {
            Some(pem) => format!(
                "{} extra CA certificate(s)",
                pem.matches("-----BEGIN CERTIFICATE-----").count()
            ),
            None => "none (the system's only)".to_owned(),
        }
    );
    Ok(())
}
