//! The desktop as the app sees it over the test's private D-Bus session, so the tray and the
//! notifications are observed where a desktop observes them (small stand-ins: no StatusNotifier
//! host or notification daemon can run headless here without a whole desktop session):
//!
//! - [`TrayHost`]: an `org.kde.StatusNotifierWatcher` that says a host is registered (as a panel
//!   with a system tray does), records the items that register, and reads and clicks an item's
//!   menu over `com.canonical.dbusmenu`, as a panel does;
//! - [`NotificationSink`]: an `org.freedesktop.Notifications` server that records each
//!   notification it is sent.
//!
//! Both must be started before the app, which looks for them when it starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::{Context, Result, bail};
use zbus::message::Header;
use zbus::object_server::SignalEmitter;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// Where a registered item lives: its bus name and object path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub bus: String,
    pub path: String,
}

struct Watcher {
    items: Arc<Mutex<Vec<Item>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    /// An item registers by its object path (libayatana-appindicator) or its bus name.
    async fn register_status_notifier_item(
        &self,
        service: &str,
        #[zbus(header)] header: Header<'_>,
        #[zbus(signal_emitter)] emitter: SignalEmitter<'_>,
    ) {
        let sender = header
            .sender()
            .map(|sender| sender.to_string())
            .unwrap_or_default();
        let item = if service.starts_with('/') {
            Item {
                bus: sender,
                path: service.to_owned(),
            }
        } else {
            Item {
                bus: service.to_owned(),
                path: "/StatusNotifierItem".to_owned(),
            }
        };
        let name = format!("{}{}", item.bus, item.path);
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(item);
        let _ = Self::status_notifier_item_registered(&emitter, &name).await;
    }

    fn register_status_notifier_host(&self, _service: &str) {}

    #[zbus(property)]
    fn registered_status_notifier_items(&self) -> Vec<String> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|item| format!("{}{}", item.bus, item.path))
            .collect()
    }

    #[zbus(property)]
    fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    fn protocol_version(&self) -> i32 {
        0
    }

    #[zbus(signal)]
    async fn status_notifier_item_registered(
        emitter: &SignalEmitter<'_>,
        service: &str,
    ) -> zbus::Result<()>;

    #[zbus(signal)]
    async fn status_notifier_host_registered(emitter: &SignalEmitter<'_>) -> zbus::Result<()>;
}

/// A running tray host.
pub struct TrayHost {
    connection: zbus::Connection,
    items: Arc<Mutex<Vec<Item>>>,
}

/// Starts the watcher on the session bus (`DBUS_SESSION_BUS_ADDRESS`).
pub async fn tray_host() -> Result<TrayHost> {
    let items = Arc::new(Mutex::new(Vec::new()));
    let connection = zbus::connection::Builder::session()?
        .name("org.kde.StatusNotifierWatcher")?
        .serve_at(
            "/StatusNotifierWatcher",
            Watcher {
                items: items.clone(),
            },
        )?
        .build()
        .await
        .context("starting the StatusNotifierWatcher")?;
    Ok(TrayHost { connection, items })
}

/// One entry of an item's menu.
#[derive(Debug, Clone)]
pub struct MenuEntry {
    pub id: i32,
    pub label: String,
    pub enabled: bool,
}

impl TrayHost {
    pub fn items(&self) -> Vec<Item> {
        self.items
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    async fn property(&self, item: &Item, interface: &str, name: &str) -> Result<OwnedValue> {
        let reply = self
            .connection
            .call_method(
                Some(item.bus.as_str()),
                item.path.as_str(),
                Some("org.freedesktop.DBus.Properties"),
                "Get",
                &(interface, name),
            )
            .await
            .with_context(|| format!("reading {interface}.{name}"))?;
        Ok(reply.body().deserialize::<OwnedValue>()?)
    }

    /// The item's menu: every entry with a label, in order.
    pub async fn menu(&self, item: &Item) -> Result<Vec<MenuEntry>> {
        let menu_path: OwnedObjectPath = self
            .property(item, "org.kde.StatusNotifierItem", "Menu")
            .await?
            .try_into()
            .context("the item's Menu is an object path")?;
        let reply = self
            .connection
            .call_method(
                Some(item.bus.as_str()),
                menu_path.as_str(),
                Some("com.canonical.dbusmenu"),
                "GetLayout",
                &(0i32, -1i32, Vec::<String>::new()),
            )
            .await
            .context("GetLayout")?;
        // (revision, layout): read with the body's own signature (the layout nests itself).
        let content = reply.body();
        let body: zbus::zvariant::Structure<'_> = content.deserialize()?;
        let mut entries = Vec::new();
        if let Some(layout) = body.fields().get(1) {
            collect(layout, &mut entries);
        }
        Ok(entries)
    }

    /// Clicks the menu entry whose label contains `label`, as a panel does.
    pub async fn click(&self, item: &Item, label: &str) -> Result<()> {
        let entries = self.menu(item).await?;
        let Some(entry) = entries.iter().find(|entry| entry.label.contains(label)) else {
            bail!("no menu entry {label:?} in {entries:?}");
        };
        let menu_path: OwnedObjectPath = self
            .property(item, "org.kde.StatusNotifierItem", "Menu")
            .await?
            .try_into()?;
        self.connection
            .call_method(
                Some(item.bus.as_str()),
                menu_path.as_str(),
                Some("com.canonical.dbusmenu"),
                "Event",
                &(entry.id, "clicked", Value::I32(0), 0u32),
            )
            .await
            .context("clicking the menu entry")?;
        Ok(())
    }
}

/// Walks a dbusmenu layout `(id, properties, children)`.
fn collect(value: &Value<'_>, entries: &mut Vec<MenuEntry>) {
    let value = match value {
        Value::Value(inner) => inner.as_ref(),
        other => other,
    };
    let Value::Structure(structure) = value else {
        return;
    };
    let fields = structure.fields();
    let (Some(Value::I32(id)), Some(Value::Dict(properties)), Some(Value::Array(children))) =
        (fields.first(), fields.get(1), fields.get(2))
    else {
        return;
    };
    let property = |key: &str| {
        properties
            .iter()
            .find_map(|(name, value)| match (name, value) {
                (Value::Str(name), value) if name.as_str() == key => Some(match value {
                    Value::Value(inner) => inner.as_ref().clone(),
                    other => other.clone(),
                }),
                _ => None,
            })
    };
    if let Some(Value::Str(label)) = property("label") {
        let enabled = !matches!(property("enabled"), Some(Value::Bool(false)));
        entries.push(MenuEntry {
            id: *id,
            label: label.as_str().replace('_', ""),
            enabled,
        });
    }
    for child in children.iter() {
        collect(child, entries);
    }
}

/// One notification as it arrived.
#[derive(Debug, Clone)]
pub struct Notification {
    pub app_name: String,
    pub summary: String,
    pub body: String,
}

struct Notifications {
    seen: Arc<Mutex<Vec<Notification>>>,
}

#[zbus::interface(name = "org.freedesktop.Notifications")]
impl Notifications {
    #[allow(clippy::too_many_arguments)]
    fn notify(
        &self,
        app_name: &str,
        _replaces_id: u32,
        _app_icon: &str,
        summary: &str,
        body: &str,
        _actions: Vec<String>,
        _hints: HashMap<String, OwnedValue>,
        _expire_timeout: i32,
    ) -> u32 {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        seen.push(Notification {
            app_name: app_name.to_owned(),
            summary: summary.to_owned(),
            body: body.to_owned(),
        });
        u32::try_from(seen.len()).unwrap_or(u32::MAX)
    }

    fn get_capabilities(&self) -> Vec<String> {
        vec!["body".to_owned()]
    }

    fn get_server_information(&self) -> (String, String, String, String) {
        (
            "patchbay-tests".to_owned(),
            "patchbay".to_owned(),
            "1".to_owned(),
            "1.2".to_owned(),
        )
    }

    fn close_notification(&self, _id: u32) {}
}

/// A running notification server.
pub struct NotificationSink {
    _connection: zbus::Connection,
    seen: Arc<Mutex<Vec<Notification>>>,
}

impl NotificationSink {
    pub fn received(&self) -> Vec<Notification> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Starts the notification server on the session bus.
pub async fn notification_sink() -> Result<NotificationSink> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let connection = zbus::connection::Builder::session()?
        .name("org.freedesktop.Notifications")?
        .serve_at(
            "/org/freedesktop/Notifications",
            Notifications { seen: seen.clone() },
        )?
        .build()
        .await
        .context("starting the notification server")?;
    Ok(NotificationSink {
        _connection: connection,
        seen,
    })
}
