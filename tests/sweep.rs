//! `fanout sweep`: exact points on the virtual clock, the knee, every format, bad ranges.

use std::process::Command;

fn fanout(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fanout"))
        .args(args)
        .output()
        .expect("fanout runs")
}

#[test]
fn pool_of_3_sweeps_to_its_exact_walls_and_names_the_knee() {
    let out = fanout(&[
        "sweep",
        "pool-of-3",
        "--workers",
        "1..10",
        "--format",
        "json",
    ]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let walls: Vec<f64> = v["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["wall_ms"].as_f64().unwrap())
        .collect();
    assert_eq!(
        walls,
        [10.0, 5.0, 4.0, 3.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0].map(|s| s * 1000.0)
    );
    assert_eq!(v["sequential_ms"], 10_000.0);
    assert_eq!(v["parallel_ms"], 1_000.0);
    assert_eq!(v["knees"][0]["workers"], 10);
    assert_eq!(v["points"][1]["speedup"], 2.0);
    let table = fanout(&["sweep", "pool-of-3", "--workers", "1..10"]);
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("the knee is N = 10"), "{text}");
}

#[test]
fn file_order_and_critical_path_first_are_two_curves() {
    let out = fanout(&[
        "sweep",
        "staircase-pool",
        "--workers",
        "2..2",
        "--strategy",
        "pool,pool-cp",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{out:?}");
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.contains("pool:N,2,20000,"), "{csv}");
    assert!(csv.contains("pool:N:cp,2,17000,"), "{csv}");
    let svg = fanout(&[
        "sweep",
        "graham-anomaly",
        "--workers",
        "1..9",
        "--format",
        "svg",
    ]);
    let svg = String::from_utf8(svg.stdout).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("knee N = 3"),
        "{svg}"
    );
}

#[test]
fn a_bad_range_is_refused_with_the_fix() {
    for bad in ["0..3", "5..2", "x..3", "3", "1..100000"] {
        let out = fanout(&["sweep", "pool-of-3", "--workers", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {out:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("A..B"), "{bad}: {err}");
    }
}
