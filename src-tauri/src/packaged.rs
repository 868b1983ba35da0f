//! Whether this copy of the app was installed by a package that registers the deep-link scheme.
//!
//! A `.deb` or `.rpm` installs the executable under a prefix (`/usr/bin/patchbay-desktop`) and a
//! desktop entry beside it (`/usr/share/applications/Patchbay.desktop`) whose `MimeType` claims
//! `x-scheme-handler/dev.patchbay.desktop`; the desktop's database then sends links to it. Such a
//! copy must not register itself again at start: the plugin would write a second, per-user entry
//! into `~/.local/share/applications` and make it the default, shadowing the package's (and
//! surviving the package's removal). A copy run from a build tree or an AppImage has no such
//! entry and registers at runtime as before.

use std::path::Path;

/// True when `exe` sits in `<prefix>/bin` and `<prefix>/share/applications/<product>.desktop`
/// claims `scheme`.
pub fn entry_claims_scheme(exe: &Path, product: &str, scheme: &str) -> bool {
    let Some(prefix) = exe
        .parent()
        .filter(|bin| bin.file_name().is_some_and(|name| name == "bin"))
        .and_then(Path::parent)
    else {
        return false;
    };
    let entry = prefix
        .join("share/applications")
        .join(format!("{product}.desktop"));
    let Ok(text) = std::fs::read_to_string(entry) else {
        return false;
    };
    let wanted = format!("x-scheme-handler/{scheme}");
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("MimeType="))
        .flat_map(|types| types.split(';'))
        .any(|mime| mime.trim() == wanted)
}

#[cfg(test)]
mod tests {
    use super::entry_claims_scheme;

    fn prefix_with_entry(entry: Option<&str>) -> tempfile::TempDir {
        let prefix = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(prefix.path().join("bin")).expect("bin");
        std::fs::create_dir_all(prefix.path().join("share/applications")).expect("applications");
        if let Some(entry) = entry {
            std::fs::write(
                prefix.path().join("share/applications/Patchbay.desktop"),
                entry,
            )
            .expect("entry");
        }
        prefix
    }

    #[test]
    fn a_packaged_entry_claiming_the_scheme_is_found() {
        let prefix = prefix_with_entry(Some(
            "[Desktop Entry]\nExec=patchbay-desktop %u\n\
             MimeType=text/plain;x-scheme-handler/dev.patchbay.desktop;\n",
        ));
        let exe = prefix.path().join("bin/patchbay-desktop");
        assert!(entry_claims_scheme(
            &exe,
            "Patchbay",
            "dev.patchbay.desktop"
        ));
    }

    #[test]
    fn a_build_tree_an_entry_without_the_scheme_or_no_entry_is_not_packaged() {
        let without = prefix_with_entry(Some("[Desktop Entry]\nMimeType=text/plain;\n"));
        let exe = without.path().join("bin/patchbay-desktop");
        assert!(!entry_claims_scheme(
            &exe,
            "Patchbay",
            "dev.patchbay.desktop"
        ));
        // A longer scheme that merely starts with ours does not count.
        let longer = prefix_with_entry(Some(
            "[Desktop Entry]\nMimeType=x-scheme-handler/dev.patchbay.desktop2\n",
        ));
        let exe = longer.path().join("bin/patchbay-desktop");
        assert!(!entry_claims_scheme(
            &exe,
            "Patchbay",
            "dev.patchbay.desktop"
        ));
        let none = prefix_with_entry(None);
        let exe = none.path().join("bin/patchbay-desktop");
        assert!(!entry_claims_scheme(
            &exe,
            "Patchbay",
            "dev.patchbay.desktop"
        ));
        // target/debug/patchbay-desktop: not in a `bin` directory.
        let tree = prefix_with_entry(Some(
            "[Desktop Entry]\nMimeType=x-scheme-handler/dev.patchbay.desktop\n",
        ));
        let exe = tree.path().join("target/debug/patchbay-desktop");
        assert!(!entry_claims_scheme(
            &exe,
            "Patchbay",
            "dev.patchbay.desktop"
        ));
    }
}
