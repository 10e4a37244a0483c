//! What the tests of the binary share: running `fanout` with stdin closed, both pipes drained on
//! threads (a large output never blocks it), killed if it outlives a limit.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What one run of the binary produced.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// `fanout ARGS` in `dir`, with no `FANOUT_MAX_INPUT_BYTES` from the test's environment; add
/// environment variables before [`run`].
pub fn fanout_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fanout"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("FANOUT_MAX_INPUT_BYTES");
    cmd
}

/// Runs `cmd` with stdin closed; an error if it does not exit within `limit` (it is killed) or
/// writes what is not UTF-8.
pub fn run(mut cmd: Command, limit: Duration) -> Result<Out, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start fanout: {e}"))?;
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            pipe.read_to_end(&mut bytes).map(|_| bytes)
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("did not exit within {limit:?}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = |t: std::thread::JoinHandle<std::io::Result<Vec<u8>>>, what: &str| {
        let bytes = t
            .join()
            .unwrap()
            .map_err(|e| format!("cannot read {what}: {e}"))?;
        String::from_utf8(bytes).map_err(|_| format!("{what} is not UTF-8"))
    };
    Ok(Out {
        code: status.code(),
        stdout: text(stdout, "stdout")?,
        stderr: text(stderr, "stderr")?,
    })
}

/// The `LINE:COL` right after `error: FILE:` on stderr, if there is one.
#[allow(dead_code)] // not every test that runs the binary reads places
pub fn place(stderr: &str, file: &str) -> Option<(usize, usize)> {
    let rest = stderr.strip_prefix(&format!("error: {file}:"))?;
    let mut parts = rest.splitn(3, ':');
    let line = parts.next()?.parse().ok()?;
    let col = parts.next()?.parse().ok()?;
    Some((line, col))
}
