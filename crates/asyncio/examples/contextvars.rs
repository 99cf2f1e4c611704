//! Context variables (`tests/python/contextvars_port.py`): a request id set once at the top
//! of each request's handler is seen by every coroutine, task and pool thread the handler
//! starts, and never by the other request's, with no parameter passed down. Each task
//! runs in a copy of its creator's context; `to_thread` carries a copy to the thread.

mod common;

use std::time::Duration;

use asyncio::contextvars::ContextVar;

static REQUEST_ID: ContextVar<String> = ContextVar::new("request_id");

fn log(message: &str) {
    println!("[{}] {message}", REQUEST_ID.get_or("-".into()));
}

async fn query(table: &'static str, delay: Duration) -> String {
    log(&format!("query {table}"));
    asyncio::sleep(delay).await;
    log(&format!("{table} done"));
    table.to_uppercase()
}

/// Blocking work, on a pool thread: the request id came along.
fn render(rows: [String; 2]) -> String {
    log(&format!("render {}", common::py_list(&rows)));
    rows.join(" & ")
}

async fn handle(n: u32) -> String {
    REQUEST_ID.set(format!("req-{n}"));
    log("start");
    let delay = Duration::from_millis(20) * n;
    // gather! runs each query as a task: a copy of this handler's context.
    let (users, orders) = asyncio::gather!(query("users", delay), query("orders", delay))
        .await
        .expect("the queries do not fail");
    let page = asyncio::to_thread(move || render([users, orders]))
        .await
        .expect("render does not panic");
    log(&format!("reply '{page}'"));
    page
}

async fn main_() {
    log("server up");
    let (a, b) = asyncio::gather!(handle(1), handle(2))
        .await
        .expect("the handlers do not fail");
    let pages = [a, b];
    log(&format!("server down after {} requests", pages.len()));
}

fn main() -> Result<(), asyncio::RunError> {
    asyncio::run(main_())
}
