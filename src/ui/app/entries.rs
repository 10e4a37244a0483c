//! The scenarios the picker offers: the built-ins, the regular `.json` files of a folder, and
//! the path given on the command line; a file's title is read only when the picker shows it.

use std::path::Path;

use crate::engine::json::parse_json;
use crate::engine::scenario::{BUILTINS, Scenario};

/// A scenario the user can switch to.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// What `Plan::load` takes: a built-in name or a path.
    pub arg: String,
    /// One line for the picker; empty for a file not read yet (see [`Entry::line`]).
    pub about: String,
}

impl Entry {
    /// The picker's line: `about`, or for a file, its path and title read now (at most 1 MiB,
    /// a regular file only, so a preview never blocks).
    pub fn line(&self) -> String {
        if !self.about.is_empty() {
            return self.about.clone();
        }
        let scenario = crate::engine::input::peek_text(Path::new(&self.arg), 1 << 20)
            .and_then(|t| parse_json::<Scenario>(&self.arg, &t).ok());
        format!("{:<26} {}", self.arg, about(scenario))
    }
}

/// The scenarios the picker offers: the built-ins, the `.json` files in `dir` that are not
/// built-ins, and `extra` (the path given on the command line) if it is a file.
pub fn entries(dir: &Path, extra: Option<&str>) -> Vec<Entry> {
    let mut out: Vec<Entry> = BUILTINS
        .iter()
        .map(|(name, text)| Entry {
            arg: name.to_string(),
            about: format!(
                "{name:<26} {}",
                about(parse_json::<Scenario>(name, text).ok())
            ),
        })
        .collect();
    // Regular files only, and none read yet: a FIFO or a huge file here must not block or
    // slow start-up. Titles are read when the picker opens (`Entry::line`).
    let files = crate::engine::input::regular_files(dir, "json");
    let add_file = |path: &Path, out: &mut Vec<Entry>| {
        let arg = path.display().to_string();
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        // A copy of a built-in is left out; only a file of exactly its size is read to tell.
        let same_builtin = BUILTINS.iter().any(|(n, t)| {
            *n == stem
                && crate::engine::input::peek_text(path, t.len() as u64).is_some_and(|x| x == *t)
        });
        if same_builtin || out.iter().any(|e| e.arg == arg) {
            return;
        }
        out.push(Entry {
            about: String::new(),
            arg,
        });
    };
    for f in &files {
        add_file(f, &mut out);
    }
    if let Some(extra) = extra
        && Path::new(extra).is_file()
    {
        add_file(Path::new(extra), &mut out);
    }
    out
}

fn about(s: Option<Scenario>) -> String {
    match s {
        Some(s) => s.description.unwrap_or(s.name),
        None => "(does not parse: run it to see why)".to_string(),
    }
}
