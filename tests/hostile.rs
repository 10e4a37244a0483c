//! The bad-input corpus: every file in `tests/hostile/` is one case, run against the real
//! binary in a scratch directory, with the exit code and the fragments of stderr it must give.
//! Hostile files (FIFOs, devices, huge or sparse inputs) and plain mistakes (a typo, a cycle, a
//! bad flag) alike: adding a case is adding a file.
//!
//! A case file is a header of `key: value` lines (and `#` comments), then `---`, then the body:
//!
//! ```text
//! args: check {input}          the command line; {input} is the body written to a file
//! exit: 2                      the exit code
//! stderr: is a FIFO            a fragment stderr must contain (repeatable)
//! not-stderr: did you mean     optional: a fragment stderr must not contain (repeatable)
//! error: s.json:3:5            optional: the one message (`error:` once on stderr, nothing on
//!                              stdout) starts `error: s.json:3:5`; an empty value: any message
//! place: s.json 2:33           optional: the message is placed at that LINE:COL (`any`: some)
//! stdout: text                 optional: a fragment stdout must contain (repeatable)
//! input: fifo                  optional: `fifo`, `sparse BYTES`, or a path like /dev/zero
//! fifo: pipe                   optional: a FIFO to create in the scratch dir (repeatable)
//! env: NAME=VALUE              optional: an environment variable (repeatable)
//! file: NAME                   optional: the body is written to NAME instead of input.json
//! copy: NAME=FILE              optional: a fixture from tests/hostile/files/ copied to NAME
//! symlink: NAME=TARGET         optional: a symbolic link, made after the input is written
//! hardlink: NAME=TARGET        optional: a hard link, likewise
//! unchanged: NAME              optional: that file must be byte-identical after the run
//! ---
//! {"name": "the body", ...}
//! ```
//!
//! A value is trimmed, but for `stderr`, `not-stderr`, `stdout` and `error`: what follows
//! `key: ` to the end of the line, trailing spaces and all (a message's prefix may end in one);
//! in every value, `\n` is a line break and `\\` a backslash; the body is written byte for byte (a
//! case about a file's last line ends without a newline).
//!
//! Every case's stdout and stderr must hold no control character but line breaks (text from
//! files is escaped before it is printed), and no panic. Every run is killed after [`LIMIT`]: a case that hangs fails, it never stalls the suite.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest any case may take: generous, since only hangs should trip it.
const LIMIT: Duration = Duration::from_secs(20);

#[derive(Debug, Default)]
struct Case {
    args: Vec<String>,
    exit: i32,
    stderr: Vec<String>,
    not_stderr: Vec<String>,
    error: Option<String>,
    place: Option<(String, Option<(usize, usize)>)>,
    stdout: Vec<String>,
    input: Option<String>,
    fifos: Vec<String>,
    env: Vec<(String, String)>,
    file: Option<String>,
    copies: Vec<(String, String)>,
    symlinks: Vec<(String, String)>,
    hardlinks: Vec<(String, String)>,
    unchanged: Vec<String>,
    body: String,
}

fn parse(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).unwrap();
    let (head, body) = text
        .split_once("\n---\n")
        .unwrap_or_else(|| panic!("{}: no `---` line", path.display()));
    let mut case = Case {
        body: body.to_string(),
        ..Case::default()
    };
    for line in head
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let (key, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("{}: `{line}` is not `key: value`", path.display()));
        // One space after the colon is the separator; the rest is the value, trailing spaces
        // and all (a message's prefix may end in one).
        let exact = unescape(value.strip_prefix(' ').unwrap_or(value));
        let value = exact.trim().to_string();
        match key.trim() {
            "args" => case.args = value.split_whitespace().map(String::from).collect(),
            "exit" => case.exit = value.parse().unwrap(),
            "stderr" => case.stderr.push(exact),
            "not-stderr" => case.not_stderr.push(exact),
            "stdout" => case.stdout.push(exact),
            "error" => case.error = Some(exact),
            "place" => {
                let (file, at) = value
                    .rsplit_once(' ')
                    .unwrap_or_else(|| panic!("{}: `place: FILE LINE:COL`", path.display()));
                let at = (at != "any").then(|| {
                    let (l, c) = at.split_once(':').expect("LINE:COL");
                    (l.parse().unwrap(), c.parse().unwrap())
                });
                case.place = Some((file.to_string(), at));
            }
            "input" => case.input = Some(value),
            "fifo" => case.fifos.push(value),
            "env" => {
                let (k, v) = value.split_once('=').unwrap();
                case.env.push((k.into(), v.into()));
            }
            "file" => case.file = Some(value),
            "copy" => {
                let (k, v) = value.split_once('=').unwrap();
                case.copies.push((k.into(), v.into()));
            }
            "symlink" => {
                let (k, v) = value.split_once('=').unwrap();
                case.symlinks.push((k.into(), v.into()));
            }
            "hardlink" => {
                let (k, v) = value.split_once('=').unwrap();
                case.hardlinks.push((k.into(), v.into()));
            }
            "unchanged" => case.unchanged.push(value),
            other => panic!("{}: unknown key `{other}`", path.display()),
        }
    }
    assert!(!case.args.is_empty(), "{}: no args", path.display());
    case
}

/// A header value with `\n` and `\\` read as a line break and a backslash.
fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

fn mkfifo(path: &Path) {
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

/// Runs one case; returns what went wrong, if anything.
fn run(path: &Path) -> Result<(), String> {
    let case = parse(path);
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path();
    for f in &case.fifos {
        mkfifo(&here.join(f));
    }
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/files");
    for (name, from) in &case.copies {
        std::fs::copy(fixtures.join(from), here.join(name)).unwrap();
    }
    let name = case.file.clone().unwrap_or_else(|| "input.json".into());
    let input: PathBuf = match case.input.as_deref() {
        None => {
            std::fs::write(here.join(&name), &case.body).unwrap();
            PathBuf::from(&name)
        }
        Some("fifo") => {
            mkfifo(&here.join(&name));
            PathBuf::from(&name)
        }
        Some(s) if s.starts_with("sparse ") => {
            let size: u64 = s["sparse ".len()..].parse().unwrap();
            std::fs::File::create(here.join(&name))
                .unwrap()
                .set_len(size)
                .unwrap();
            PathBuf::from(&name)
        }
        Some(p) => PathBuf::from(p),
    };
    for (name, target) in &case.symlinks {
        std::os::unix::fs::symlink(target, here.join(name)).unwrap();
    }
    for (name, target) in &case.hardlinks {
        std::fs::hard_link(here.join(target), here.join(name)).unwrap();
    }
    let before: Vec<Vec<u8>> = case
        .unchanged
        .iter()
        .map(|f| std::fs::read(here.join(f)).unwrap())
        .collect();
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| a.replace("{input}", &input.display().to_string()))
        .collect();
    let mut cmd = common::fanout_in(here, &args);
    for (k, v) in &case.env {
        cmd.env(k, v);
    }
    let common::Out {
        code,
        stdout,
        stderr,
    } = common::run(cmd, LIMIT).map_err(|e| format!("fanout {args:?}: {e}"))?;
    let mut problems = Vec::new();
    if code != Some(case.exit) {
        problems.push(format!("exit {code:?}, expected {}", case.exit));
    }
    for frag in &case.stderr {
        if !stderr.contains(frag.as_str()) {
            problems.push(format!("stderr lacks `{frag}`"));
        }
    }
    for frag in &case.not_stderr {
        if stderr.contains(frag.as_str()) {
            problems.push(format!("stderr has `{frag}`"));
        }
    }
    for frag in &case.stdout {
        if !stdout.contains(frag.as_str()) {
            problems.push(format!("stdout lacks `{frag}`"));
        }
    }
    if let Some(file) = &case.error {
        if !stdout.is_empty() {
            problems.push("stdout is not empty".into());
        }
        if !stderr.starts_with(&format!("error: {file}")) {
            problems.push(format!("stderr does not start with `error: {file}`"));
        }
        if stderr.matches("error:").count() != 1 {
            problems.push("not exactly one `error:` message".into());
        }
    }
    if let Some((file, at)) = &case.place {
        match (common::place(&stderr, file), at) {
            (None, _) => problems.push(format!("no `{file}:LINE:COL` place")),
            (Some(got), Some(want)) if got != *want => {
                problems.push(format!("placed at {got:?}, expected {want:?}"))
            }
            _ => {}
        }
    }
    // Text from files reaches the terminal escaped: no control character but line breaks.
    for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        if let Some(c) = text
            .chars()
            .find(|&c| c != '\n' && fanout::text::is_control(c))
        {
            problems.push(format!("raw {c:?} on {what}"));
        }
    }
    if stderr.contains("panicked") {
        problems.push("it panicked".into());
    }
    for (f, old) in case.unchanged.iter().zip(&before) {
        if std::fs::read(here.join(f)).ok().as_ref() != Some(old) {
            problems.push(format!("{f} was changed"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "fanout {}: {}\n--- stderr:\n{stderr}--- stdout:\n{stdout}",
            args.join(" "),
            problems.join("; ")
        ))
    }
}

#[test]
fn every_hostile_input_fails_cleanly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "the corpus is in {}", dir.display());
    // Two at a time: the machine is shared, and a few cases run real (short) timeouts.
    let failures: Vec<String> = std::thread::scope(|s| {
        let chunks: Vec<_> = cases.chunks(cases.len().div_ceil(2)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .filter_map(|c| {
                            run(c).err().map(|e| {
                                format!("{}: {e}", c.file_name().unwrap().to_string_lossy())
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// The TUI's picker must not open (let alone read) a FIFO among `scenarios/*.json` at start-up.
#[test]
fn the_picker_skips_fifos_and_reads_no_file_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("x.json"));
    std::fs::write(
        dir.path().join("mine.json"),
        r#"{"name":"Mine","calls":[{"id":"a","latency_ms":1}]}"#,
    )
    .unwrap();
    let entries = fanout::ui::app::entries(dir.path(), None);
    let files: Vec<_> = entries
        .iter()
        .filter(|e| e.arg.ends_with(".json"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].arg.ends_with("mine.json"));
    // Not read until the picker shows it.
    assert_eq!(files[0].about, "");
    assert!(files[0].line().ends_with("Mine"), "{}", files[0].line());
}

/// Repeated runs are aggregated by strategy: a record whose second run lists its lanes in
/// another order reports exactly what the same record in order does.
#[test]
fn runs_are_matched_by_strategy_not_position() {
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile/files/runs-2.record.json");
    let text = std::fs::read_to_string(&fixture).unwrap();
    let mut swapped: serde_json::Value = serde_json::from_str(&text).unwrap();
    swapped["runs"][1].as_array_mut().unwrap().reverse();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("swapped.json");
    std::fs::write(&path, serde_json::to_string_pretty(&swapped).unwrap()).unwrap();
    let (original, _) = fanout::engine::Record::load(&fixture).unwrap();
    let (reordered, _) = fanout::engine::Record::load(&path).unwrap();
    assert_eq!(reordered.runs, original.runs);
    assert_eq!(
        fanout::report::table(&reordered),
        fanout::report::table(&original)
    );
}
