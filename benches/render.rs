//! Frame render time: `ui::view::render` of a 200 × 60 frame for 3 lanes (parallel, waves,
//! pool:8) × 1,000 calls at several moments of the run (the fraction of the last lane's end),
//! in colour, into a fresh `Buffer`. This is the pure drawing step; the terminal's diff and
//! write of each frame come on top. Target: ≤ 2 ms per frame.
//!
//! The model is `ViewModel::from_record` of a virtual-clock record of a 1,000-call graph (each
//! call depends on up to 3 random earlier calls within the last 1000, latencies 100..=2000 ms).
//!
//! Also the headless path at scale: `ViewModel::from_record` and `view::final_frame` (what
//! `fanout run --headless` prints) of the four-lane record of the 100,000-call graph.
//!
//! `cargo bench --bench render`

mod common;

use std::sync::{Arc, LazyLock};

use common::{Latency, Shape, plan, strategy};
use divan::Bencher;
use fanout::engine::virtual_clock::run_virtual;
use fanout::engine::{Mode, Plan, Record, RunOptions};
use fanout::ui::chrome::Chrome;
use fanout::ui::model::ViewModel;
use fanout::ui::theme::Theme;
use fanout::ui::view::{final_frame, render};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

fn main() {
    divan::main();
}

static MODEL: LazyLock<ViewModel> = LazyLock::new(|| {
    let mut shape = Shape::dag(1_000, Latency::Uniform(100, 2000));
    shape.strategies = vec!["parallel".into(), "waves".into(), "pool:8".into()];
    let plan = Arc::new(plan(&shape.json()));
    let opts = RunOptions {
        strategies: ["parallel", "waves", "pool:8"]
            .iter()
            .map(|s| strategy(s))
            .collect(),
        speed: 1.0,
        mode: Mode::Race,
        local: None,
    };
    let record = run_virtual(&plan, &opts);
    ViewModel::from_record(&record, &plan)
});

/// One 200 × 60 frame, 3 lanes × 1,000 calls, at `at` × the run's end (0.5: mid-run).
#[divan::bench(args = [0.1, 0.5, 0.9], sample_count = 200)]
fn frame_200x60(bencher: Bencher, at: f64) {
    let mut model = MODEL.clone();
    model.now_ms = model.end_ms() * at;
    let chrome = Chrome::default();
    let theme = Theme { color: true };
    let area = Rect::new(0, 0, 200, 60);
    bencher
        .with_inputs(|| Buffer::empty(area))
        .bench_local_refs(|buf| render(&model, &chrome, theme, area, buf));
}

/// The four-lane virtual record of the 100,000-call, 299,994-edge graph (latencies 1..=1000 ms).
static BIG: LazyLock<(Record, Arc<Plan>)> = LazyLock::new(common::big_record);

/// `ViewModel::from_record` of the 4 × 100,000-call record (the replay path).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn view_model_from_record_100k(bencher: Bencher) {
    let (record, plan) = &*BIG;
    bencher.bench(|| ViewModel::from_record(record, plan).lanes.len());
}

/// `ViewModel::for_final_frame` of that record (the headless path: the calls a frame shows).
#[divan::bench(sample_count = 5, sample_size = 1)]
fn view_model_for_final_frame_100k(bencher: Bencher) {
    let (record, plan) = &*BIG;
    bencher.bench(|| ViewModel::for_final_frame(record, plan).lanes.len());
}

/// `view::final_frame` at 100 columns (the text `--headless` prints) of that model.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn final_frame_100k(bencher: Bencher) {
    let (record, plan) = &*BIG;
    let model = ViewModel::for_final_frame(record, plan);
    bencher.bench(|| final_frame(&model, 100).len());
}
