//! What the connectors' tests share.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A listener on a loopback port that counts the connections it accepts (and answers none):
/// where a refused request must never arrive. Returns its base URL and the count.
pub async fn counting_listener() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    });
    (base, accepted)
}

/// How many connections [`counting_listener`] accepted, after a moment for late ones.
pub async fn accepted(count: &AtomicUsize) -> usize {
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    count.load(Ordering::SeqCst)
}
