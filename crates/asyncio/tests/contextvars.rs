//! Context variables through the facade: `to_thread` carries a copy of its caller's
//! context to the pool thread, `gather`'s and `TaskGroup`'s children run in copies, and a
//! `Runner` keeps one context for all its runs. The expected trace is what
//! `tests/python/context_vars.py` prints under CPython 3.11.

use std::sync::Mutex;
use std::time::Duration;

use asyncio::contextvars::ContextVar;
use asyncio::{Runner, TaskGroup};

static REQUEST: ContextVar<String> = ContextVar::new("request");

/// The trace; a pool thread writes to it too.
static TRACE: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn show(place: &str) {
    let line = format!("{place}: request={}", REQUEST.get_or("unset".into()));
    TRACE.lock().unwrap().push(line);
}

fn blocking(name: &'static str) -> &'static str {
    show(&format!("{name} in thread"));
    REQUEST.set(format!("{name} set in thread"));
    show(&format!("{name} in thread after set"));
    name
}

async fn child(name: &'static str) {
    show(name);
    REQUEST.set(name.to_owned());
    asyncio::sleep(Duration::ZERO).await;
    show(&format!("{name} after sleep"));
}

async fn first_run() {
    show("first run");
    REQUEST.set("caller".to_owned());
    asyncio::to_thread(|| blocking("job")).await.unwrap();
    show("after to_thread");
    asyncio::gather!(child("g1"), child("g2")).await.unwrap();
    let group = TaskGroup::<()>::new();
    group.create_task(async {
        child("t1").await;
        Ok(())
    });
    group.wait().await.unwrap();
    show("after children");
}

async fn second_run() {
    show("second run");
}

/// tests/python/context_vars.py.
#[test]
fn context_vars_through_the_facade() {
    let runner = Runner::new();
    runner.run(first_run()).unwrap();
    runner.run(second_run()).unwrap();
    runner.close();
    asyncio::run(second_run()).unwrap();
    show("outside");
    assert_eq!(
        *TRACE.lock().unwrap(),
        [
            "first run: request=unset",
            "job in thread: request=caller",
            "job in thread after set: request=job set in thread",
            "after to_thread: request=caller",
            "g1: request=caller",
            "g2: request=caller",
            "g1 after sleep: request=g1",
            "g2 after sleep: request=g2",
            "t1: request=caller",
            "t1 after sleep: request=t1",
            "after children: request=caller",
            "second run: request=caller",
            "second run: request=unset",
            "outside: request=unset",
        ]
    );
}

/// Not traced against Python (which pool thread runs a job is not deterministic): a job of
/// `to_thread` runs in its own copy, so what one sets is not seen by the next job, even on
/// the same pool thread; `run_in_executor` carries no context, as asyncio's.
#[test]
fn a_pool_thread_keeps_nothing_from_one_to_thread_job_to_the_next() {
    use asyncio::EventLoopExt;
    static JOB: ContextVar<u32> = ContextVar::new("job");
    let pool = asyncio::ThreadPool::new(1).unwrap();
    let seen = asyncio::run(async move {
        let event_loop = asyncio::get_running_loop().unwrap();
        event_loop.set_default_executor(pool);
        JOB.set(1);
        let first = asyncio::to_thread(|| {
            let seen = JOB.get();
            JOB.set(2);
            seen
        })
        .await
        .unwrap();
        let second = asyncio::to_thread(|| JOB.get()).await.unwrap();
        let plain = event_loop
            .run_in_executor(None, || JOB.get())
            .await
            .unwrap();
        (first, second, plain, JOB.get())
    })
    .unwrap();
    assert_eq!(seen.0, Ok(1));
    assert_eq!(
        seen.1,
        Ok(1),
        "the second job's copy is the caller's, not the first's"
    );
    assert!(
        seen.2.is_err(),
        "run_in_executor runs in the thread's own context"
    );
    assert_eq!(seen.3, Ok(1));
}
