//! The one-door rule, checked: the front ends (`src-tauri`, `crates/cli`) may use only the
//! facade's public API — the items `patchbay-core` re-exports at its root (the `pub use` block of
//! `crates/core/src/lib.rs`) — never a path into one of its modules (`patchbay_core::oauth::…`).
//! A use case a front end cannot reach through the root belongs in core, as a facade method.
//!
//! Hand-written: a token scan of `patchbay_core::` paths is all the rule needs; a Rust parser
//! (syn) would add a dependency tree to xtask for the same answer.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// The front ends' source trees, relative to the repository root.
const FRONT_ENDS: &[&str] = &["src-tauri/src", "crates/cli/src"];

/// Module paths a front end may still name, each with its reason. Empty: everything goes
/// through the crate root.
const ALLOWED_MODULE_PATHS: &[&str] = &[];

/// One reach past the facade: file, line, the offending path.
#[derive(Debug, PartialEq, Eq)]
pub struct Violation {
    pub file: PathBuf,
    pub line: usize,
    pub path: String,
}

/// Fails with every violation listed; prints how many files were checked otherwise.
pub fn check(root: &Path) -> Result<()> {
    let mut files = Vec::new();
    for tree in FRONT_ENDS {
        collect(&root.join(tree), &mut files)?;
    }
    let mut violations = Vec::new();
    for file in &files {
        let text =
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        for (line, path) in module_paths(&text) {
            if !ALLOWED_MODULE_PATHS.contains(&path.as_str()) {
                violations.push(Violation {
                    file: file.strip_prefix(root).unwrap_or(file).to_owned(),
                    line,
                    path,
                });
            }
        }
    }
    if !violations.is_empty() {
        let list: Vec<String> = violations
            .iter()
            .map(|v| format!("  {}:{}: {}", v.file.display(), v.line, v.path))
            .collect();
        bail!(
            "front ends reach past the facade ({} places); use what patchbay-core re-exports at \
             its root, or add the use case to the facade:\n{}",
            violations.len(),
            list.join("\n")
        );
    }
    eprintln!(
        "one door: {} front-end files use only patchbay-core's root API",
        files.len()
    );
    Ok(())
}

fn collect(directory: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in
        std::fs::read_dir(directory).with_context(|| format!("listing {}", directory.display()))?
    {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
    files.sort();
    Ok(())
}

/// Every `patchbay_core::module::…` path in `text` (also inside `use patchbay_core::{…}`
/// groups), with its 1-based line. Comments are skipped.
pub fn module_paths(text: &str) -> Vec<(usize, String)> {
    let code = without_comments(text);
    let mut found = Vec::new();
    let prefix = "patchbay_core::";
    let mut at = 0;
    while let Some(offset) = code[at..].find(prefix) {
        let start = at + offset;
        let rest = &code[start + prefix.len()..];
        let line = code[..start].matches('\n').count() + 1;
        if let Some(group) = rest.strip_prefix('{') {
            let body = &group[..matching_brace(group)];
            for item in split_top_level(body) {
                let item = item.trim();
                if is_module_path(item) {
                    found.push((line, format!("{prefix}{}", path_head(item))));
                }
            }
        } else if is_module_path(rest) {
            found.push((line, format!("{prefix}{}", path_head(rest))));
        }
        at = start + prefix.len();
    }
    found
}

/// `oauth::flows` of `oauth::flows::Flows`, for the message.
fn path_head(path: &str) -> String {
    let end = path
        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(path.len());
    path[..end].trim_end_matches(':').to_owned()
}

/// A path whose first segment is a module (lower-case) followed by `::`.
fn is_module_path(path: &str) -> bool {
    let segment: String = path
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    let lower = segment
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    lower && path[segment.len()..].starts_with("::")
}

fn matching_brace(group: &str) -> usize {
    let mut depth = 1;
    for (index, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return index;
                }
            }
            _ => {}
        }
    }
    group.len()
}

fn split_top_level(body: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0, 0, Vec::new());
    for (index, c) in body.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&body[start..index]);
                start = index + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    items
}

/// `text` with `//` comments blanked (line count kept), so documentation may name modules.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::module_paths;

    #[test]
    fn module_paths_are_found_and_root_items_are_not() {
        let text = "use patchbay_core::{AuthKind, Patchbay, mcp::Diagnosis};\n\
                    use patchbay_core::oauth::flows::Flows;\n\
                    let x = patchbay_core::Error::from(e);\n\
                    let d = patchbay_core::default_data_dir();\n\
                    // patchbay_core::store::Store in a comment is fine\n\
                    let s = patchbay_core::store::DEFAULT_WORKSPACE;\n";
        let found: Vec<String> = module_paths(text).into_iter().map(|(_, p)| p).collect();
        assert_eq!(
            found,
            [
                "patchbay_core::mcp::Diagnosis",
                "patchbay_core::oauth::flows::Flows",
                "patchbay_core::store::DEFAULT_WORKSPACE"
            ],
            "every module path, and no root item, is reported"
        );
        let lines: Vec<usize> = module_paths(text).into_iter().map(|(l, _)| l).collect();
        assert_eq!(lines, [1, 2, 6]);
    }
}
