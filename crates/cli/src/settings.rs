//! `patchbay settings`: the app's settings, shown or changed one at a time (the desktop's
//! Settings page saves the same values).

use clap::{Subcommand, ValueEnum};
use patchbay_core::{AppSettings, Patchbay, Theme};

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
}

pub fn settings(app: &Patchbay, command: SettingsCommand, json: bool) -> Result<(), Failure> {
    match command {
        SettingsCommand::Show => show(&app.settings()?, json),
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
    Ok(())
}
