//! The local test server, driven over real loopback HTTP with a real client (no mocks).
//!
//! Timings are read on tokio's paused clock, which the server's sleeps and rate limiter run on
//! too: it moves only when every task waits on a timer, so a delay takes exactly what was asked,
//! however loaded the machine (loopback I/O is never waited for by moving the clock).

use std::time::{Duration, Instant};

use fanout::serve::{LocalServer, ServeOptions, start_local};
use reqwest::{Client, StatusCode};

/// A client that never goes through a proxy (loopback only) and never hangs a test.
fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build the HTTP client")
}

/// `GET url`, answered.
async fn get(client: &Client, url: impl reqwest::IntoUrl) -> reqwest::Response {
    client.get(url).send().await.unwrap()
}

/// `POST url`, answered.
async fn post(client: &Client, url: impl reqwest::IntoUrl) -> reqwest::Response {
    client.post(url).send().await.unwrap()
}

async fn server() -> LocalServer {
    start_local(ServeOptions::default())
        .await
        .expect("start the local server")
}

#[tokio::test]
async fn base_url_is_loopback_with_the_bound_port() {
    let server = server().await;
    let url = server.base_url();
    assert_eq!(url, format!("http://127.0.0.1:{}", server.addr().port()));
    assert_ne!(server.addr().port(), 0);
}

#[tokio::test]
async fn index_lists_the_routes() {
    let server = server().await;
    let response = get(&client(), server.base_url()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    for route in [
        "/delay/{ms}",
        "/status/{code}",
        "/bytes/{n}",
        "/limited/{ms}",
    ] {
        assert!(text.contains(route), "index lacks {route}:\n{text}");
    }
}

#[tokio::test(start_paused = true)]
async fn delay_sleeps_the_time_asked() {
    let server = server().await;
    let client = client();
    let start = tokio::time::Instant::now();
    let response = get(&client, format!("{}/delay/200", server.base_url())).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.text().await.unwrap().is_empty());
    assert_eq!(start.elapsed(), Duration::from_millis(200));
}

#[tokio::test]
async fn delay_accepts_post() {
    let server = server().await;
    let response = client()
        .post(format!("{}/delay/10", server.base_url()))
        .body("payload")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(start_paused = true)]
async fn parallel_delays_overlap() {
    let server = server().await;
    let client = client();
    let url = format!("{}/delay/300", server.base_url());
    let start = tokio::time::Instant::now();
    let (a, b) = tokio::join!(client.get(&url).send(), client.get(&url).send());
    let took = start.elapsed();
    assert_eq!(a.unwrap().status(), StatusCode::OK);
    assert_eq!(b.unwrap().status(), StatusCode::OK);
    // One after the other would take 600 ms.
    assert_eq!(took, Duration::from_millis(300), "no overlap");
}

#[tokio::test(start_paused = true)]
async fn status_answers_with_the_code_asked() {
    let server = server().await;
    let client = client();
    let base = server.base_url();

    let response = get(&client, format!("{base}/status/500")).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let start = tokio::time::Instant::now();
    let response = get(&client, format!("{base}/status/404?delay_ms=50")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(start.elapsed(), Duration::from_millis(50));

    let response = post(&client, format!("{base}/status/201")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn status_out_of_range_is_a_bad_request() {
    let server = server().await;
    let client = client();
    for code in ["99", "600", "65535", "abc"] {
        let response = get(&client, format!("{}/status/{code}", server.base_url())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "code {code}");
    }
}

#[tokio::test]
async fn bytes_sends_exactly_n_deterministic_bytes() {
    let server = server().await;
    let client = client();
    let url = format!("{}/bytes/1000", server.base_url());

    let response = get(&client, &url).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(1000));
    let first = response.bytes().await.unwrap();
    assert_eq!(first.len(), 1000);
    assert!(first.starts_with(b"abcdefghijklmnopqrstuvwxyzabc"));

    let second = get(&client, &url).await.bytes().await.unwrap();
    assert_eq!(first, second);

    let empty = get(&client, format!("{}/bytes/0", server.base_url())).await;
    assert_eq!(empty.status(), StatusCode::OK);
    assert!(empty.bytes().await.unwrap().is_empty());

    let too_many = get(&client, format!("{}/bytes/100000001", server.base_url())).await;
    assert_eq!(too_many.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test(start_paused = true)]
async fn limited_admits_the_limit_and_refuses_the_rest_at_once() {
    let server = start_local(ServeOptions {
        limit_per_second: 3,
    })
    .await
    .unwrap();
    let client = client();
    let url = format!("{}/limited/100", server.base_url());

    let send = |client: Client, url: String| async move {
        let start = tokio::time::Instant::now();
        let response = get(&client, &url).await;
        let took = start.elapsed();
        let retry_after = response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_string());
        (response.status(), retry_after, took)
    };
    let tasks: Vec<_> = (0..6)
        .map(|_| tokio::spawn(send(client.clone(), url.clone())))
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }

    let ok: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::OK)
        .collect();
    let limited: Vec<_> = answers
        .iter()
        .filter(|(s, _, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(ok.len(), 3, "{answers:?}");
    assert_eq!(limited.len(), 3, "{answers:?}");
    for (_, retry_after, took) in &ok {
        assert_eq!(*retry_after, None);
        assert_eq!(*took, Duration::from_millis(100), "admitted");
    }
    for (_, retry_after, took) in &limited {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(*took, Duration::ZERO, "refused at once");
    }

    // A new window opens a second after the first request: admitted again.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = post(&client, format!("{}/limited/0", server.base_url())).await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Tries new connections until one is refused, for up to two seconds.
async fn refuses_connections(addr: std::net::SocketAddr) -> bool {
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = server().await;
    let addr = server.addr();
    let response = get(&client(), server.base_url()).await;
    assert_eq!(response.status(), StatusCode::OK);

    drop(server);
    assert!(
        refuses_connections(addr).await,
        "still accepting after drop"
    );
    // A fresh client (no pooled connection) cannot reach it either.
    assert!(
        client()
            .get(format!("http://{addr}/"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test(start_paused = true)]
async fn shutdown_answers_requests_under_way_first() {
    let server = server().await;
    let addr = server.addr();
    let url = format!("{}/delay/1000", server.base_url());
    let request = tokio::spawn(async move { client().get(&url).send().await });
    // The paused clock reaches 300 ms only once every task waits on a timer: the request is
    // then in the server's 1 s sleep.
    tokio::time::sleep(Duration::from_millis(300)).await;

    server.shutdown().await.expect("clean shutdown");
    let response = request
        .await
        .unwrap()
        .expect("the request under way is answered");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        refuses_connections(addr).await,
        "still accepting after shutdown"
    );
}

#[tokio::test]
async fn bytes_streams_whole_alphabets_across_chunks() {
    let server = server().await;
    let n = 3 * fanout::serve::CHUNK + 7;
    let body = get(&client(), format!("{}/bytes/{n}", server.base_url()))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), n);
    assert!(
        body.iter()
            .enumerate()
            .all(|(i, &b)| b == b'a' + (i % 26) as u8),
        "every byte continues the alphabet, across chunk boundaries"
    );
}

#[tokio::test]
async fn delays_beyond_the_cap_are_bad_requests_with_a_message() {
    let server = server().await;
    let client = client();
    let over = fanout::serve::MAX_DELAY_MS + 1;
    for route in [
        format!("/delay/{over}"),
        format!("/status/200?delay_ms={over}"),
        format!("/limited/{over}"),
    ] {
        let response = get(&client, format!("{}{route}", server.base_url())).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{route}");
        let text = response.text().await.unwrap();
        assert!(
            text.contains("at most 600000 ms of delay, asked for 600001"),
            "{route}: {text}"
        );
    }
}

/// Sends `request` raw and reads until the server closes; returns what came back and when.
async fn raw_exchange(addr: std::net::SocketAddr, request: &[u8]) -> (Vec<u8>, Duration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let start = tokio::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut got = Vec::new();
    // Far beyond the header timeout: without one, this fails instead of hanging.
    let read = tokio::time::timeout(Duration::from_secs(120), stream.read_to_end(&mut got)).await;
    assert!(read.is_ok(), "the server never closed the connection");
    (got, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn a_client_sending_half_a_header_is_disconnected() {
    let server = server().await;
    let (got, took) = raw_exchange(server.addr(), b"GET /delay/0 HTTP/1.1\r\nHost: x\r\n").await;
    assert!(
        !String::from_utf8_lossy(&got).contains("200 OK"),
        "no answer to half a request"
    );
    assert_eq!(took, fanout::serve::HEADER_READ_TIMEOUT);
    // A whole request on a new connection is answered at once.
    let (got, took) = raw_exchange(
        server.addr(),
        b"GET /delay/0 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200 OK"));
    assert_eq!(took, Duration::ZERO);
}
