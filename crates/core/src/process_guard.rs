//! What a process holding secrets does first (checklist 40, issue 11): files it creates are
//! private to the user (umask 077, so the log file, lock files and WebKit's caches are never
//! readable by other users, whatever creates them), it leaves no core dump with the master key
//! or a token in it (`RLIMIT_CORE` 0, and on Linux not dumpable, which also keeps other
//! processes of the same user from attaching a debugger), and a panic prints where it happened
//! but not its message, which can carry a URL with a token or a server's text
//! (`PATCHBAY_PANIC_DETAILS=1` shows it when a developer asks).

use std::io::Write;
use std::panic::PanicHookInfo;

/// The environment variable that lets a panic print its message.
pub const PANIC_DETAILS_ENV: &str = "PATCHBAY_PANIC_DETAILS";

/// Hardens this process; returns what could not be done (logged by the caller, never fatal: a
/// platform without these controls still runs).
pub fn harden() -> Vec<String> {
    let mut failures = Vec::new();
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
        let none = Rlimit {
            current: Some(0),
            maximum: Some(0),
        };
        if let Err(error) = setrlimit(Resource::Core, none) {
            failures.push(format!("turning off core dumps: {error}"));
        }
        #[cfg(target_os = "linux")]
        if let Err(error) =
            rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable)
        {
            failures.push(format!("marking the process not dumpable: {error}"));
        }
    }
    let details = std::env::var_os(PANIC_DETAILS_ENV).is_some_and(|value| value == "1");
    std::panic::set_hook(Box::new(move |info| {
        let report = panic_report(info, details);
        let _ = std::io::stderr().lock().write_all(report.as_bytes());
    }));
    failures
}

/// What a panic prints: the thread and the location, the message only when asked.
pub fn panic_report(info: &PanicHookInfo<'_>, details: bool) -> String {
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    let location = info
        .location()
        .map_or_else(|| "an unknown place".to_owned(), ToString::to_string);
    let message = if details {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|text| (*text).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        format!(": {payload}")
    } else {
        format!(
            " (the message is withheld because it may contain a secret; set {PANIC_DETAILS_ENV}=1 to show it)"
        )
    };
    format!("Patchbay: internal error in thread '{thread}' at {location}{message}\n")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::panic_report;

    const SENTINEL: &str = "SNTL-panic-4c1e9a";

    fn reported(details: bool) -> String {
        let seen = Arc::new(Mutex::new(String::new()));
        let sink = seen.clone();
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if let Ok(mut text) = sink.lock() {
                text.push_str(&panic_report(info, details));
            }
        }));
        let caught = std::panic::catch_unwind(|| panic!("token {SENTINEL} in a URL"));
        std::panic::set_hook(previous);
        assert!(caught.is_err());
        seen.lock().map(|text| text.clone()).unwrap_or_default()
    }

    #[test]
    fn a_panic_names_its_place_but_not_its_message() {
        let report = reported(false);
        assert!(report.contains("process_guard.rs:"), "{report}");
        assert!(!report.contains(SENTINEL), "{report}");
        assert!(report.contains("PATCHBAY_PANIC_DETAILS=1"), "{report}");
        let asked = reported(true);
        assert!(asked.contains(SENTINEL), "{asked}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_hardened_process_dumps_no_core_and_creates_private_files() {
        // In a child process: hardening this test binary would change the other tests' files.
        if std::env::var_os("PATCHBAY_GUARD_CHILD").is_none() {
            let output = std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "process_guard::tests::a_hardened_process_dumps_no_core_and_creates_private_files",
                    "--nocapture",
                ])
                .env("PATCHBAY_GUARD_CHILD", "1")
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(output.status.success(), "{stdout}");
            assert!(stdout.contains("1 passed"), "{stdout}");
            return;
        }
        assert!(super::harden().is_empty());
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap();
        let core = limits
            .lines()
            .find(|line| line.starts_with("Max core file size"))
            .unwrap();
        assert_eq!(
            core.split_whitespace().skip(4).take(2).collect::<Vec<_>>(),
            ["0", "0"],
            "{core}"
        );
        assert_eq!(
            rustix::process::dumpable_behavior().unwrap(),
            rustix::process::DumpableBehavior::NotDumpable
        );
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("made-by-anyone");
        std::fs::write(&path, b"x").unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
    }
}
