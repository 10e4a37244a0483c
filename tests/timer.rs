//! The precise timer with real calls: a lane's loop and its calls' own waits (backoffs before
//! retries) never share one timerfd, so none of them waits for good. Before the fix, a parallel
//! lane whose real calls back off while simulated calls tick could hang forever.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn real_retries_beside_simulated_calls_always_finish() {
    let dir = tempfile::tempdir().unwrap();
    // Five real reads of a missing file, each retried with backoffs, beside simulated calls
    // that end while those backoffs run.
    let mut calls = Vec::new();
    for i in 0..5 {
        calls.push(format!(
            r#"{{"id":"read_{i}","file":{{"path":"missing-{i}.txt"}},"timeout_ms":1000,"retries":{{"max":3,"backoff_ms":{}}}}}"#,
            20 + 7 * i
        ));
        calls.push(format!(
            r#"{{"id":"sim_{i}","latency_ms":{}}}"#,
            15 + 11 * i
        ));
    }
    let json = format!(
        r#"{{"name":"Timer stress","calls":[{}],"strategies":["parallel","sequential"]}}"#,
        calls.join(",")
    );
    let path = dir.path().join("stress.json");
    std::fs::write(&path, json).unwrap();
    for round in 0..5 {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fanout"))
            .args(["run", path.to_str().unwrap(), "--headless"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A generous bound: the run takes well under a second; a hang never ends.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert!(status.success(), "round {round}: {status}");
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("round {round}: the run hung");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}
