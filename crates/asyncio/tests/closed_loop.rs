//! The facade's spawners on a closed loop: as `EventLoop::create_task` (and asyncio's
//! `loop.create_task`, whose `Task.__init__` calls `call_soon`), they panic with "Event
//! loop is closed" instead of handing back a task born cancelled (trace of
//! crates/asyncio-loop/tests/python/create_task_closed.py).

use std::panic::{AssertUnwindSafe, catch_unwind};

fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("it panics");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn ensure_future_and_gather_on_a_closed_set_loop_panic_with_asyncios_message() {
    let event_loop = asyncio::new_event_loop();
    asyncio::set_event_loop(Some(&event_loop));
    event_loop.close().unwrap();
    let ensure = panic_message(|| drop(asyncio::ensure_future(async { 1 })));
    let gather = panic_message(|| drop(asyncio::gather((1..=2).map(|n| async move { n }))));
    asyncio::set_event_loop(None);
    assert_eq!(ensure, "Event loop is closed");
    assert_eq!(gather, "Event loop is closed");
}
