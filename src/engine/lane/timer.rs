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
/// timer, never early, but the thread it wakes runs a little later: on an idle VM, 0.2 ms
/// (median) while the vCPU comes back from a halt. So the timer fires that much before the
/// deadline and the lane spends the rest awake; a lane has one next deadline at a time, so
/// one timer per lane is enough.
#[cfg(target_os = "linux")]
pub(super) struct Timer {
    fd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
    /// How late this timer's wake-ups run, as learned so far.
    lateness: Lateness,
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
        .map(|fd| Timer {
            fd,
            lateness: Lateness::default(),
        })
    }

    /// Waits until `deadline` (tokio's clock, which is the real one whenever this timer
    /// exists): asleep on the timerfd until the wake-up's learned lateness before it, then
    /// awake, handing the worker back to tokio between looks at the clock (so other tasks on
    /// it still run). Falls back on tokio's timer if the kernel refuses.
    pub(super) async fn sleep_until(&self, deadline: Instant) {
        let deadline = deadline.into_std();
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let awake = self.lateness.awake();
        if left > awake {
            let fires = std::time::Instant::now() + (left - awake);
            self.fire_in(left - awake).await;
            self.lateness
                .learn(std::time::Instant::now().saturating_duration_since(fires));
        }
        let mut last = std::time::Instant::now();
        if last >= deadline {
            return;
        }
        let mut switches = Switches::now();
        while last < deadline {
            tokio::task::yield_now().await;
            let now = std::time::Instant::now();
            if now - last > Lateness::PREEMPTED {
                // The CPU was taken away: by another task of this machine (then this thread's
                // involuntary switches went up), or by the hypervisor (steal, which resting
                // would not help).
                let after = Switches::now();
                if after.more_than(&switches) {
                    self.lateness.preempted(now);
                }
                switches = after;
            }
            last = now;
        }
    }

    /// Sleeps `left` on the timerfd (or tokio's timer, if the kernel refuses).
    async fn fire_in(&self, left: std::time::Duration) {
        use std::os::fd::AsRawFd;
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
            tokio::time::sleep(left).await;
            return;
        }
        loop {
            let Ok(mut ready) = self.fd.readable().await else {
                tokio::time::sleep(left).await;
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

/// How late a timer's wake-ups run: an estimate of their 90th percentile, learned one wake-up
/// at a time (up by 9 steps when one is later than the estimate, down by 1 otherwise, which
/// settles where 1 in 10 is later). The lane stays awake that long, plus a margin, before each
/// deadline: long enough that most wake-ups come before it, and no longer than
/// [`Lateness::MOST`], so a loaded machine's long stalls do not turn into long spins.
///
/// Staying awake pays only on an idle machine, whose vCPUs halt between wake-ups. On a busy
/// one the wake-up is prompt anyway, and a lane that keeps the CPU is preempted at the next
/// scheduler tick (4 ms late, where the wait alone would have been a tenth of that). So when
/// a lane loses the CPU to another task while awake, every lane sleeps to its deadlines alone
/// for [`Lateness::REST`] (the machine is busy, not the lane: later lanes and runs rest too).
#[cfg(target_os = "linux")]
#[derive(Debug)]
pub(super) struct Lateness {
    /// The estimate, in nanoseconds (atomics because the lane's state is shared between its
    /// tasks; only the lane's loop uses its timer).
    p90_ns: std::sync::atomic::AtomicU64,
    /// Until when lanes sleep to their deadlines alone: the process's ([`RESTING`]).
    rest: &'static Rest,
}

/// No lane stays awake before `until_ns` after `origin`: one was preempted while awake.
#[cfg(target_os = "linux")]
#[derive(Debug)]
pub(super) struct Rest {
    origin: std::time::Instant,
    until_ns: std::sync::atomic::AtomicU64,
}

#[cfg(target_os = "linux")]
impl Rest {
    fn new(origin: std::time::Instant) -> Rest {
        Rest {
            origin,
            until_ns: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

/// The process's rest, shared by every lane.
#[cfg(target_os = "linux")]
static RESTING: std::sync::LazyLock<Rest> =
    std::sync::LazyLock::new(|| Rest::new(std::time::Instant::now()));

#[cfg(target_os = "linux")]
impl Lateness {
    const START_NS: u64 = 300_000;
    const STEP_NS: u64 = 5_000;
    const MARGIN_NS: u64 = 50_000;
    const MOST: std::time::Duration = std::time::Duration::from_millis(1);
    /// A look at the clock this long after the last one, while awake: the CPU was taken away.
    const PREEMPTED: std::time::Duration = std::time::Duration::from_micros(250);
    const REST: std::time::Duration = std::time::Duration::from_secs(10);

    /// How long before a deadline the lane wakes: 0 while it rests.
    pub(super) fn awake(&self) -> std::time::Duration {
        let since = self.rest.origin.elapsed().as_nanos() as u64;
        if since < self.rest.until_ns.load(Ordering::Relaxed) {
            return std::time::Duration::ZERO;
        }
        let ns = self.p90_ns.load(Ordering::Relaxed) + Self::MARGIN_NS;
        std::time::Duration::from_nanos(ns).min(Self::MOST)
    }

    /// Takes in one wake-up that ran `late` after the timer fired.
    pub(super) fn learn(&self, late: std::time::Duration) {
        let est = self.p90_ns.load(Ordering::Relaxed);
        let next = if late.as_nanos() > u128::from(est) {
            // Held below the cap: a stall of seconds says nothing about the next wake-up.
            (est + 9 * Self::STEP_NS).min(Self::MOST.as_nanos() as u64)
        } else {
            est.saturating_sub(Self::STEP_NS)
        };
        self.p90_ns.store(next, Ordering::Relaxed);
    }

    /// A lane lost the CPU to another task while awake (seen at `now`): every lane rests for
    /// [`Lateness::REST`].
    pub(super) fn preempted(&self, now: std::time::Instant) {
        let until = now.saturating_duration_since(self.rest.origin) + Self::REST;
        self.rest
            .until_ns
            .store(until.as_nanos() as u64, Ordering::Relaxed);
    }
}

/// How many times the kernel has taken the CPU from this thread for another task (involuntary
/// context switches), and which thread that was: a task may move between tokio's workers.
#[cfg(target_os = "linux")]
struct Switches(std::thread::ThreadId, Option<libc::c_long>);

#[cfg(target_os = "linux")]
impl Switches {
    fn now() -> Switches {
        // SAFETY: getrusage fills the struct it is given; zeroed is a valid `rusage`.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        let ok = unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) } == 0;
        Switches(std::thread::current().id(), ok.then_some(usage.ru_nivcsw))
    }

    /// Whether this count is of the same thread as `before`, and higher.
    fn more_than(&self, before: &Switches) -> bool {
        self.0 == before.0 && matches!((self.1, before.1), (Some(a), Some(b)) if a > b)
    }
}

#[cfg(target_os = "linux")]
impl Default for Lateness {
    fn default() -> Lateness {
        Lateness {
            p90_ns: std::sync::atomic::AtomicU64::new(Self::START_NS),
            rest: &RESTING,
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::Lateness;
    use std::time::Duration;

    /// Feeds `n` wake-ups, one in ten `late_us` late and the rest `usual_us`, and returns how
    /// long the lane then stays awake.
    fn settle(usual_us: u64, late_us: u64, n: usize) -> Duration {
        let l = Lateness::default();
        for i in 0..n {
            let us = if i % 10 == 9 { late_us } else { usual_us };
            l.learn(Duration::from_micros(us));
        }
        l.awake()
    }

    #[test]
    fn the_lane_stays_awake_about_as_long_as_most_wake_ups_run_late() {
        // An idle VM: wake-ups 0.2 ms late, one in ten 0.4 ms. Settles between the two, plus
        // the margin: about 0.25-0.45 ms awake.
        let awake = settle(200, 400, 2_000);
        assert!(
            (Duration::from_micros(240)..=Duration::from_micros(460)).contains(&awake),
            "{awake:?}"
        );
        // A machine whose wake-ups are punctual: the estimate falls to nothing and the lane
        // stays awake only for the margin.
        assert_eq!(settle(0, 0, 2_000), Duration::from_micros(50));
    }

    #[test]
    fn a_lane_preempted_while_awake_sleeps_to_its_deadlines_alone_for_a_while() {
        let now = std::time::Instant::now();
        let l = Lateness {
            rest: Box::leak(Box::new(super::Rest::new(
                now.checked_sub(Duration::from_secs(60)).unwrap(),
            ))),
            ..Lateness::default()
        };
        assert!(l.awake() > Duration::ZERO);
        // Preempted 10 s ago and more, rested: awake again.
        l.preempted(l.rest.origin);
        assert!(l.awake() > Duration::ZERO);
        l.preempted(now);
        assert_eq!(l.awake(), Duration::ZERO);
    }

    #[test]
    fn long_stalls_never_make_the_lane_spin_longer_than_a_millisecond() {
        assert_eq!(settle(5_000, 2_000_000, 500), Lateness::MOST);
        let l = Lateness::default();
        l.learn(Duration::from_secs(3));
        assert!(l.awake() <= Lateness::MOST);
    }
}
