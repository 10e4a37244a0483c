//! The real binary in a real terminal: a tmux server of the test's own, a 100 × 30 session read
//! off its screen, killed when dropped.

use std::process::Command;
use std::thread::sleep;
use std::time::{Duration, Instant};

/// One tmux server (its own socket) with one session.
pub struct Tmux {
    socket: String,
    session: &'static str,
}

impl Tmux {
    /// Whether tmux is installed; where it is not, a loud skip naming `test` (CI must have it).
    pub fn available(test: &str) -> bool {
        let found = Command::new("tmux").arg("-V").output().is_ok();
        if !found {
            crate::skip::skip_loudly(
                "CI must have tmux (.ci/run installs it)",
                &format!("the terminal test {test}: tmux is not installed, it did not run"),
            );
        }
        found
    }

    /// A server of its own on `socket`, for one session named `session`.
    pub fn new(socket: String, session: &'static str) -> Tmux {
        Tmux { socket, session }
    }

    /// [`available`](Tmux::available), [`new`](Tmux::new) and [`start`](Tmux::start) at once:
    /// `script` running in `session` on a server of its own (`name` and the process id name its
    /// socket), or `None` after a loud skip.
    pub fn launch(name: &str, session: &'static str, script: &str) -> Option<Tmux> {
        if !Tmux::available(name) {
            return None;
        }
        let tmux = Tmux::new(format!("fanout-{name}-{}", std::process::id()), session);
        tmux.start(script);
        Some(tmux)
    }

    pub fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `script` in the 100 × 30 session.
    pub fn start(&self, script: &str) {
        self.cmd(&[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            self.session,
            "sh",
            "-c",
            script,
        ]);
    }

    /// Sends `keys` (tmux key names: `Tab`, `Left`, `q`) to the session.
    pub fn press(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.session];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// [`press`](Tmux::press) `keys`, then [`wait_for`](Tmux::wait_for) `text`.
    pub fn press_for(&self, keys: &[&str], text: &str, secs: u64) -> String {
        self.press(keys);
        self.wait_for(text, secs)
    }

    pub fn screen(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", self.session])
    }

    /// Waits up to `secs` for the screen to contain `text`; returns the last screen.
    pub fn wait_for(&self, text: &str, secs: u64) -> String {
        self.wait_until(secs, |screen| screen.contains(text))
    }

    /// Waits up to `secs` for `text` to leave the screen; returns the last screen.
    #[allow(dead_code)] // not every terminal test closes something
    pub fn wait_for_gone(&self, text: &str, secs: u64) -> String {
        self.wait_until(secs, |screen| !screen.contains(text))
    }

    fn wait_until(&self, secs: u64, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let screen = self.screen();
            if done(&screen) || Instant::now() > deadline {
                return screen;
            }
            sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}
