//! The real lane's precise timer: tokio's sleeps round up to the next millisecond, so on Linux a
//! lane waits on a `timerfd` instead (when [`use_precise_timer`] is on).

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::time::Instant;

/// Whether lanes wait on a precise timer (off until [`use_precise_timer`] turns it on).
pub(super) static PRECISE: AtomicBool = AtomicBool::new(false);

/// Makes every lane started from now on wait on a precise timer instead of tokio's, whose
/// sleeps round up to the next millisecond. The CLI turns it on for real runs. It is off by
/// default because tokio's paused clock (the tests') only moves for tokio's own timers. The
/// lanes must then run on a runtime with its I/O driver enabled (`enable_all`).
pub fn use_precise_timer(on: bool) {
    PRECISE.store(on, Ordering::Relaxed);
}

/// A lane's precise timer: a Linux `timerfd` on the monotonic clock (the one behind
/// `Instant`), watched by tokio's I/O driver. The kernel fires it on its high-resolution
/// timer, never early; waiting costs no CPU, and a lane has one next deadline at a time, so
/// one timer per lane is enough.
#[cfg(target_os = "linux")]
pub(super) struct Timer {
    fd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

#[cfg(target_os = "linux")]
impl Timer {
    /// A timer, unless the kernel refuses one (then the lane uses tokio's).
    pub(super) fn new() -> Option<Timer> {
        use std::os::fd::FromRawFd;
        // SAFETY: plain system call; a non-negative result is a new descriptor we own.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return None;
        }
        // SAFETY: `raw` is a fresh descriptor that nothing else owns.
        let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        // SAFETY: the `OwnedFd` keeps the descriptor open, and always the same one, for as
        // long as the `AsyncFd` that owns it lives.
        unsafe {
            tokio::io::unix::AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE)
        }
        .ok()
        .map(|fd| Timer { fd })
    }

    /// Waits until `deadline` (tokio's clock, which is the real one whenever this timer
    /// exists). Falls back on tokio's timer if the kernel refuses.
    pub(super) async fn sleep_until(&self, deadline: Instant) {
        use std::os::fd::AsRawFd;
        let left = deadline
            .into_std()
            .saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        // Relative to now: the time spent between reading the clock and arming only makes the
        // wait longer, never shorter.
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: left.as_secs() as libc::time_t,
                tv_nsec: libc::c_long::from(left.subsec_nanos() as i32),
            },
        };
        let fd = self.fd.get_ref().as_raw_fd();
        // SAFETY: `fd` is our timerfd; `spec` is a valid itimerspec; the old value is not asked.
        if unsafe { libc::timerfd_settime(fd, 0, &spec, std::ptr::null_mut()) } != 0 {
            tokio::time::sleep_until(deadline).await;
            return;
        }
        loop {
            let Ok(mut ready) = self.fd.readable().await else {
                tokio::time::sleep_until(deadline).await;
                return;
            };
            let mut expirations = [0u8; 8];
            // SAFETY: reads at most 8 bytes into an 8-byte buffer from our descriptor.
            let n = unsafe { libc::read(fd, expirations.as_mut_ptr().cast(), 8) };
            if n == 8 {
                return;
            }
            // Not expired yet (a readiness left over from an earlier deadline): wait again.
            ready.clear_ready();
        }
    }
}

/// Elsewhere there is no precise timer yet: lanes use tokio's.
#[cfg(not(target_os = "linux"))]
pub(super) struct Timer;

#[cfg(not(target_os = "linux"))]
impl Timer {
    pub(super) fn new() -> Option<Timer> {
        None
    }

    pub(super) async fn sleep_until(&self, deadline: Instant) {
        tokio::time::sleep_until(deadline).await;
    }
}
