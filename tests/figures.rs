//! One run, every view, the same figures: the live screen (the record adopted), the headless
//! frame, `report` as a table and as Markdown, and the SVG all print what `report::figures`
//! computes, with one rounding rule for each figure.

use std::sync::Arc;

use fanout::engine::{Plan, Record, RunOptions, run};
use fanout::report::figures::{self, duration, percent, saved_text, speedup};
use fanout::report::{self, Format};
use fanout::ui::chrome::Chrome;
use fanout::ui::model::ViewModel;
use fanout::ui::theme::Theme;
use fanout::ui::view;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

async fn record_of(name: &str) -> (Record, Arc<Plan>) {
    let plan = Arc::new(Plan::load(name).unwrap());
    let record = run(plan.clone(), &RunOptions::for_plan(&plan), None)
        .await
        .unwrap();
    (record, plan)
}

fn screen(model: &ViewModel, w: u16, h: u16) -> String {
    let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
    view::render(
        model,
        &Chrome::default(),
        Theme { color: false },
        buf.area,
        &mut buf,
    );
    view::buffer_text(&buf)
}

#[tokio::test(start_paused = true)]
async fn every_view_prints_the_same_figures_for_one_run() {
    for name in [
        "staircase",
        "fail-fast",
        "agent-loop",
        "graham-anomaly",
        "fetch-then-post",
    ] {
        let (record, plan) = record_of(name).await;
        let lanes = figures::lanes(&record);
        let headline = figures::headline(&record).expect("a headline");
        let table = report::render(&record, Format::Table);
        let markdown = report::render(&record, Format::Markdown);
        let svg = report::render(&record, Format::Svg);
        let model = ViewModel::from_record(&record, &plan);
        let frame = view::final_frame(&model, 200);
        let live = screen(&model, 200, 50);
        assert_eq!(model.headline.as_deref(), Some(headline.as_str()));
        for (what, text) in [
            ("table", &table),
            ("markdown", &markdown),
            ("svg", &svg),
            ("screen", &live),
        ] {
            assert!(
                text.contains(&headline),
                "{name}: {what} lacks {headline:?}\n{text}"
            );
        }
        for f in &lanes {
            let wall = duration(f.wall.mean);
            let eff = percent(f.efficiency);
            let mut expected = vec![wall.clone(), eff, duration(f.lower_bound_ms)];
            if !f.is_baseline {
                expected.push(speedup(f.speedup.0));
                expected.push(saved_text(f.saved));
            }
            for (what, text) in [
                ("table", &table),
                ("markdown", &markdown),
                ("svg", &svg),
                ("screen", &live),
            ] {
                for e in &expected {
                    assert!(
                        text.contains(e.as_str()),
                        "{name}/{}: {what} lacks {e:?}\n{text}",
                        f.label
                    );
                }
            }
            assert!(frame.contains(&format!("done {wall}")), "{name}: {frame}");
            if let Some(why) = &f.why {
                for (what, text) in [("table", &table), ("screen", &live), ("svg", &svg)] {
                    assert!(
                        text.contains(why.as_str()),
                        "{name}: {what} lacks {why:?}\n{text}"
                    );
                }
            }
        }
    }
}

#[tokio::test(start_paused = true)]
async fn headlines_say_what_is_true() {
    // Where no schedule won, the headline says why and claims no speedup.
    for (name, opening) in [
        ("fail-fast", "both lanes stopped when fetch_wiki failed"),
        (
            "fetch-then-post",
            "no schedule can beat one call at a time here",
        ),
    ] {
        let (record, _) = record_of(name).await;
        let h = figures::headline(&record).unwrap();
        assert!(h.starts_with(opening), "{name}: {h}");
        assert!(!h.contains("faster"), "{name}: {h}");
    }
    let (record, _) = record_of("staircase").await;
    assert_eq!(
        figures::headline(&record).unwrap(),
        "parallel ran 3.00× faster than sequential · saved 20.000 s (66.7 %)"
    );
    let (record, _) = record_of("agent-loop").await;
    assert!(
        figures::headline(&record)
            .unwrap()
            .starts_with("waves and parallel ran 1.80× faster"),
        "ties share the headline"
    );
}

#[tokio::test(start_paused = true)]
async fn a_lane_above_its_bound_says_why() {
    let (record, _) = record_of("staircase").await;
    let why: Vec<String> = figures::lanes(&record)
        .into_iter()
        .filter_map(|f| f.why)
        .collect();
    assert_eq!(why, ["+14.000 s: wave barriers"]);
    let (record, _) = record_of("graham-anomaly").await;
    let lanes = figures::lanes(&record);
    let pool4 = lanes.iter().find(|f| f.label == "pool:4").unwrap();
    assert_eq!(
        pool4.why.as_deref(),
        Some("+3.000 s: a full pool (calls queued)")
    );
}

#[test]
fn a_lane_slower_than_its_baseline_says_slower_not_a_negative_saving() {
    use fanout::report::figures::{saved, saved_phrase};
    assert_eq!(
        saved_phrase(saved(25_000.0, 5_000.0)),
        "saved 20.000 s (80.0 %)"
    );
    assert_eq!(
        saved_phrase(saved(1_000.0, 1_010.0)),
        "10.0 ms slower (1.0 %)"
    );
    // Within 0.05 % is no saving either way.
    assert_eq!(saved_phrase(saved(1_000.0, 1_000.1)), "saved —");
    assert_eq!(saved_phrase(None), "saved —");
}

#[tokio::test(start_paused = true)]
async fn overhead_is_only_claimed_where_every_call_is_simulated() {
    let (record, _) = record_of("fetch-5-urls").await;
    let overheads: Vec<Option<f64>> = figures::lanes(&record)
        .iter()
        .map(|f| f.overhead_ms)
        .collect();
    // Measured − predicted, exactly.
    for (lane, o) in record.lanes.iter().zip(&overheads) {
        assert_eq!(*o, Some(lane.wall_ms - lane.predicted_ms.unwrap()));
    }
    let mut unpredicted = serde_json::to_value(&record).unwrap();
    unpredicted["lanes"][0]
        .as_object_mut()
        .unwrap()
        .remove("predicted_ms");
    let unpredicted: Record = serde_json::from_value(unpredicted).unwrap();
    assert_eq!(figures::lanes(&unpredicted)[0].overhead_ms, None);
    // The same record with one real HTTP call: the prediction counted it as 0, so measured −
    // predicted would be its time, not fanout's.
    let mut value = serde_json::to_value(&record).unwrap();
    let call = &mut value["scenario"]["calls"][0];
    call.as_object_mut().unwrap().remove("latency_ms");
    call["http"] = serde_json::json!({"url": "{local}/delay/1000"});
    let real: Record = serde_json::from_value(value).unwrap();
    assert!(
        figures::lanes(&real)
            .iter()
            .all(|f| f.overhead_ms.is_none())
    );
}
