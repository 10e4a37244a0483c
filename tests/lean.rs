//! The work of a whole headless virtual-clock run stays linear in the calls (issue 10, "lean at a
//! million calls"): counted, not timed. The same pipeline as `fanout run FILE --clock virtual
//! --headless` (parse + plan, four lanes on the virtual clock, the final frame's view model,
//! the frame and the table) is run on the benchmark graph at 1,000 and 10,000 calls, with an allocator
//! that counts. Allocations per call and the peak of live bytes per call must be the same at
//! both sizes, and under a ceiling that catches a per-call string or a second copy coming back.
//!
//! One test only: the counters are global to the process.

#[path = "../benches/common/mod.rs"]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use common::{FOUR, Latency, Shape, plan, strategy};
use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{Mode, RunOptions};
use fanout::report;
use fanout::ui::{model::ViewModel, view};

/// Allocations a call may cost in all (scenario, plan, four lanes, the final frame's model).
const CEILING_ALLOCS: f64 = 11.0;
/// Peak live bytes a call may cost.
const CEILING_BYTES: f64 = 800.0;

/// The system allocator, counting allocations and the live and peak bytes.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(by: usize) {
    let now = LIVE.fetch_add(by, Relaxed) + by;
    PEAK.fetch_max(now, Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        grew(layout.size());
        // SAFETY: the caller's contract is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        if new_size >= layout.size() {
            grew(new_size - layout.size());
        } else {
            LIVE.fetch_sub(layout.size() - new_size, Relaxed);
        }
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations and peak live bytes (above what was live before) of one headless run of the
/// benchmark graph with `calls` calls, and how many of its call records hold anything beyond
/// their times.
fn headless_run(calls: usize) -> (usize, usize, usize) {
    let json = Shape::dag(calls, Latency::Uniform(1, 1000)).json();
    let opts = RunOptions {
        strategies: FOUR.iter().map(|s| strategy(s)).collect(),
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    let base = LIVE.load(Relaxed);
    PEAK.store(base, Relaxed);
    let before = ALLOCATIONS.load(Relaxed);
    let plan = Arc::new(plan(&json));
    let record = run_virtual(&plan, &opts);
    let model = ViewModel::for_final_frame(&record, &plan);
    let text = format!(
        "{}\n{}",
        view::final_frame(&model, 100),
        report::table(&record)
    );
    assert!(text.contains("sequential"), "{text}");
    let allocations = ALLOCATIONS.load(Relaxed) - before;
    let peak = PEAK.load(Relaxed) - base;
    let boxed = record
        .lanes
        .iter()
        .flat_map(|l| &l.calls)
        .filter(|c| c.more.is_some())
        .count();
    (allocations, peak, boxed)
}

#[test]
fn a_headless_run_allocates_the_same_per_call_at_1k_and_10k_calls() {
    // What does not grow with the calls (the frame, the table, the lanes' set-up), measured on
    // 100 calls and taken off, so that what is left is the cost of the calls themselves.
    let (fixed_allocs, fixed_peak, _) = headless_run(100);
    let (small_allocs, small_peak, small_boxed) = headless_run(1_000);
    let (big_allocs, big_peak, big_boxed) = headless_run(10_000);
    let per_call = |n: usize, fixed: usize, calls: usize| {
        n.saturating_sub(fixed) as f64 / (calls - 100) as f64
    };
    let a1 = per_call(small_allocs, fixed_allocs, 1_000);
    let a10 = per_call(big_allocs, fixed_allocs, 10_000);
    let p1 = per_call(small_peak, fixed_peak, 1_000);
    let p10 = per_call(big_peak, fixed_peak, 10_000);
    eprintln!("allocations per call {a1:.2} / {a10:.2}; peak bytes per call {p1:.0} / {p10:.0}");
    // Plain successful calls box nothing: 64-byte records.
    assert_eq!((small_boxed, big_boxed), (0, 0));
    // Linear: the same per call at both sizes (growing vectors' doublings make the rest).
    assert!(
        (a10 / a1 - 1.0).abs() < 0.05,
        "allocations per call {a1} at 1k, {a10} at 10k"
    );
    assert!(
        (p10 / p1 - 1.0).abs() < 0.15,
        "peak bytes per call {p1} at 1k, {p10} at 10k"
    );
    // Ceilings, a little above today's (10.1 allocations, 717 bytes a call; 15.2 and 1.14 kB
    // before the final frame's model held only what it shows, dependencies shared their ids
    // and the plan's lists became arrays): an id string per call and lane, a string per
    // dependency, an allocation per event, a full view model or a second copy of the scenario
    // breaks them.
    assert!(a10 < CEILING_ALLOCS, "{a10} allocations per call");
    assert!(p10 < CEILING_BYTES, "{p10} peak bytes per call");
}
