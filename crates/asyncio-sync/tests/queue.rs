//! The queues' behaviour, driven by hand (deterministic interleavings, no executor).

mod common;

use asyncio_sync::{
    GetNowaitError, LifoQueue, PriorityQueue, PutNowaitError, Queue, QueueEmpty, QueueFull,
    QueueShutDown, TaskDoneError,
};
use common::{Driven, start};

#[test]
fn sizes_follow_puts_and_gets() {
    let queue = Queue::new(2);
    assert_eq!(queue.maxsize(), 2);
    assert!(queue.empty() && !queue.full());
    queue.put_nowait(1).unwrap();
    assert_eq!(queue.qsize(), 1);
    queue.put_nowait(2).unwrap();
    assert!(queue.full());
    assert_eq!(queue.put_nowait(3), Err(PutNowaitError::Full(QueueFull(3))));
    assert_eq!(queue.get_nowait(), Ok(1));
    assert!(!queue.full() && !queue.empty());

    let unbounded = Queue::new(0);
    (0..1000).for_each(|i| unbounded.put_nowait(i).unwrap());
    assert!(!unbounded.full());
    assert_eq!(unbounded.qsize(), 1000);
}

#[test]
fn clones_share_one_queue() {
    let queue = Queue::new(0);
    let other = queue.clone();
    queue.put_nowait("x").unwrap();
    assert_eq!(other.get_nowait(), Ok("x"));
}

#[test]
fn get_waits_for_a_put_and_getters_are_served_in_arrival_order() {
    let queue = Queue::new(0);
    let (mut first, poll) = start(queue.get());
    assert!(poll.is_pending());
    let (mut second, poll) = start(queue.get());
    assert!(poll.is_pending());
    queue.put_nowait("a").unwrap();
    assert!(first.woken() && !second.woken());
    queue.put_nowait("b").unwrap();
    assert!(second.woken());
    assert_eq!(first.ready(), Ok("a"));
    assert_eq!(second.ready(), Ok("b"));
}

/// As CPython's: a woken getter has no claim on the item that woke it. `get_nowait` takes it
/// whenever `qsize() > 0`, and the getter, finding the queue empty, waits again at the back
/// of the line (the same interleaving on the loop: the facade's tests/queue_order.rs).
#[test]
fn get_nowait_takes_the_item_a_woken_getter_was_about_to_get() {
    let queue = Queue::new(0);
    let (mut getter, _) = start(queue.get());
    queue.put_nowait(1).unwrap();
    assert!(getter.woken());
    assert_eq!(queue.qsize(), 1);
    assert_eq!(queue.get_nowait(), Ok(1));
    let (mut late, poll) = start(queue.get());
    assert!(poll.is_pending());
    getter.pending();
    queue.put_nowait(2).unwrap();
    assert!(
        late.woken(),
        "the getter that parked first while the other was woken"
    );
    assert_eq!(
        getter.wakes(),
        1,
        "the overtaken getter waits at the back of the line"
    );
    assert_eq!(late.ready(), Ok(2));
    queue.put_nowait(3).unwrap();
    assert_eq!(getter.ready(), Ok(3));
}

#[test]
fn a_get_that_finds_an_item_takes_it_before_a_woken_getter() {
    let queue = Queue::new(0);
    let (mut getter, _) = start(queue.get());
    queue.put_nowait("a").unwrap();
    let (_, poll) = start(queue.get());
    assert_eq!(poll, std::task::Poll::Ready(Ok("a")));
    getter.pending();
}

#[test]
fn a_dropped_woken_getter_passes_the_wake_up_on() {
    let queue = Queue::new(0);
    let (first, _) = start(queue.get());
    let (mut second, _) = start(queue.get());
    queue.put_nowait(7).unwrap();
    assert!(first.woken() && !second.woken());
    drop(first);
    assert!(
        second.woken(),
        "the item is still there: the next getter is woken"
    );
    assert_eq!(second.ready(), Ok(7));
    assert!(queue.empty());
}

#[test]
fn a_dropped_woken_getter_wakes_nobody_once_the_item_is_gone() {
    let queue = Queue::new(0);
    let (first, _) = start(queue.get());
    let (second, _) = start(queue.get());
    queue.put_nowait(7).unwrap();
    assert_eq!(queue.get_nowait(), Ok(7));
    drop(first);
    assert!(!second.woken(), "nothing to take");
}

#[test]
fn a_dropped_woken_getter_with_no_successor_leaves_the_item_queued() {
    let queue = Queue::new(0);
    let (getter, _) = start(queue.get());
    queue.put_nowait(7).unwrap();
    drop(getter);
    assert_eq!(queue.qsize(), 1);
    assert_eq!(queue.get_nowait(), Ok(7));
}

#[test]
fn put_waits_while_full_and_putters_are_served_in_arrival_order() {
    let queue = Queue::new(1);
    queue.put_nowait(0).unwrap();
    let (mut first, poll) = start(queue.put(1));
    assert!(poll.is_pending());
    let (mut second, poll) = start(queue.put(2));
    assert!(poll.is_pending());
    assert_eq!(queue.get_nowait(), Ok(0));
    assert!(first.woken() && !second.woken());
    assert_eq!(first.ready(), Ok(()));
    second.pending();
    assert_eq!(queue.get_nowait(), Ok(1));
    assert_eq!(second.ready(), Ok(()));
    assert_eq!(queue.get_nowait(), Ok(2));
}

/// As CPython's: `put_nowait` succeeds whenever `!full()`, even into the slot a woken putter
/// was about to use; that putter waits again at the back of the line.
#[test]
fn put_nowait_takes_the_room_a_woken_putter_was_about_to_use() {
    let queue = Queue::new(1);
    queue.put_nowait("x").unwrap();
    let (mut first, _) = start(queue.put("y"));
    let (mut second, _) = start(queue.put("z"));
    assert_eq!(queue.get_nowait(), Ok("x"));
    assert!(first.woken() && !queue.full());
    assert_eq!(queue.put_nowait("w"), Ok(()));
    first.pending();
    assert_eq!(queue.get_nowait(), Ok("w"));
    assert!(second.woken(), "the putter that waited longer now");
    assert_eq!(
        first.wakes(),
        1,
        "the overtaken putter waits at the back of the line"
    );
    assert_eq!(second.ready(), Ok(()));
    assert_eq!(queue.get_nowait(), Ok("z"));
    assert_eq!(first.ready(), Ok(()));
    assert_eq!(queue.get_nowait(), Ok("y"));
}

#[test]
fn a_dropped_pending_put_never_inserts() {
    let queue = Queue::new(1);
    queue.put_nowait("kept").unwrap();
    let (put, poll) = start(queue.put("dropped"));
    assert!(poll.is_pending());
    drop(put);
    assert_eq!(queue.get_nowait(), Ok("kept"));
    assert_eq!(queue.get_nowait(), Err(GetNowaitError::Empty(QueueEmpty)));
    assert_eq!(queue.unfinished_tasks(), 1);
}

#[test]
fn a_dropped_woken_putter_passes_the_wake_up_on() {
    let queue = Queue::new(1);
    queue.put_nowait(0).unwrap();
    let (first, _) = start(queue.put(1));
    let (mut second, _) = start(queue.put(2));
    assert_eq!(queue.get_nowait(), Ok(0));
    assert!(first.woken());
    drop(first);
    assert!(second.woken());
    assert_eq!(second.ready(), Ok(()));
    assert_eq!(queue.get_nowait(), Ok(2));
}

#[test]
fn task_done_beyond_the_items_put_is_an_error() {
    let queue = Queue::new(0);
    assert_eq!(queue.task_done(), Err(TaskDoneError));
    queue.put_nowait(1).unwrap();
    assert_eq!(queue.unfinished_tasks(), 1);
    assert_eq!(queue.task_done(), Ok(()));
    assert_eq!(queue.task_done(), Err(TaskDoneError));
}

#[test]
fn join_returns_when_every_item_is_done() {
    let queue = Queue::new(0);
    let (_, poll) = start(queue.join());
    assert!(poll.is_ready(), "nothing put: join returns at once");
    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();
    let (mut join, _) = start(queue.join());
    let (mut other, _) = start(queue.join());
    queue.get_nowait().unwrap();
    queue.task_done().unwrap();
    join.pending();
    assert!(!join.woken());
    queue.task_done().unwrap();
    assert!(join.woken() && other.woken());
    queue.put_nowait(3).unwrap();
    join.ready();
    other.ready();
}

#[test]
fn dropped_join_is_forgotten() {
    let queue = Queue::new(0);
    queue.put_nowait(1).unwrap();
    let (join, _) = start(queue.join());
    drop(join);
    queue.task_done().unwrap();
    assert_eq!(queue.unfinished_tasks(), 0);
}

#[test]
fn shutdown_fails_puts_drains_gets_then_fails_them() {
    let queue = Queue::new(1);
    queue.put_nowait(1).unwrap();
    let (mut putter, _) = start(queue.put(2));
    let (mut join, _) = start(queue.join());
    queue.shutdown(false);
    assert!(queue.is_shutdown());
    assert!(putter.woken());
    assert_eq!(
        putter.ready(),
        Err(QueueShutDown(2)),
        "the item is handed back"
    );
    assert_eq!(
        queue.put_nowait(3),
        Err(PutNowaitError::ShutDown(QueueShutDown(3)))
    );
    let (_, poll) = start(queue.put(4));
    assert!(matches!(
        poll,
        std::task::Poll::Ready(Err(QueueShutDown(4)))
    ));
    assert_eq!(queue.get_nowait(), Ok(1), "remaining items are drained");
    assert_eq!(
        queue.get_nowait(),
        Err(GetNowaitError::ShutDown(QueueShutDown(())))
    );
    let (_, poll) = start(queue.get());
    assert!(matches!(
        poll,
        std::task::Poll::Ready(Err(QueueShutDown(())))
    ));
    join.pending();
    assert!(!join.woken(), "a plain shutdown does not mark items done");
    queue.task_done().unwrap();
    join.ready();
}

#[test]
fn shutdown_wakes_parked_getters_with_an_error() {
    let queue: Queue<u8> = Queue::new(0);
    let (mut getter, _) = start(queue.get());
    queue.shutdown(false);
    assert!(getter.woken());
    assert_eq!(getter.ready(), Err(QueueShutDown(())));
}

#[test]
fn immediate_shutdown_drops_items_marks_them_done_and_releases_join() {
    let queue = Queue::new(0);
    let (mut woken, _) = start(queue.get());
    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();
    let (mut join, _) = start(queue.join());
    queue.shutdown(true);
    assert_eq!(queue.qsize(), 0);
    assert_eq!(queue.unfinished_tasks(), 0);
    assert!(join.woken());
    join.ready();
    assert_eq!(woken.ready(), Err(QueueShutDown(())));
    assert_eq!(
        queue.get_nowait(),
        Err(GetNowaitError::ShutDown(QueueShutDown(())))
    );
}

#[test]
fn immediate_shutdown_keeps_unfinished_tasks_of_items_already_taken() {
    let queue = Queue::new(0);
    queue.put_nowait(1).unwrap();
    queue.put_nowait(2).unwrap();
    queue.get_nowait().unwrap();
    let (mut join, _) = start(queue.join());
    queue.shutdown(true);
    assert_eq!(queue.unfinished_tasks(), 1);
    join.pending();
    queue.task_done().unwrap();
    join.ready();
}

#[test]
fn lifo_and_priority_queues_wait_like_the_fifo_one() {
    let stack = LifoQueue::new(2);
    stack.put_nowait(1).unwrap();
    stack.put_nowait(2).unwrap();
    let (mut put, _) = start(stack.put(3));
    assert_eq!(stack.get_nowait(), Ok(2));
    put.ready().unwrap();
    assert_eq!(stack.get_nowait(), Ok(3));
    assert_eq!(stack.get_nowait(), Ok(1));

    let heap = PriorityQueue::new(0);
    let (mut getter, _) = start(heap.get());
    heap.put_nowait((5, "five")).unwrap();
    heap.put_nowait((1, "one")).unwrap();
    assert_eq!(
        getter.ready(),
        Ok((1, "one")),
        "the smallest item when the getter runs"
    );
    assert_eq!(heap.get_nowait(), Ok((5, "five")));
}

#[test]
fn every_type_is_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Queue<String>>();
    send_sync::<asyncio_sync::QueueGet<'_, String, asyncio_sync::Fifo<String>>>();
    send_sync::<asyncio_sync::QueuePut<'_, String, asyncio_sync::Fifo<String>>>();
    send_sync::<asyncio_sync::Lock>();
    send_sync::<asyncio_sync::LockGuard<'_>>();
    send_sync::<asyncio_sync::Event>();
    send_sync::<asyncio_sync::Condition>();
    send_sync::<asyncio_sync::Semaphore>();
    send_sync::<asyncio_sync::BoundedSemaphore>();
    send_sync::<asyncio_sync::Barrier>();
}

#[test]
fn a_driven_future_reports_wakes() {
    let queue = Queue::new(0);
    let mut getter = Driven::new(queue.get());
    getter.pending();
    assert_eq!(getter.wakes(), 0);
    queue.put_nowait(()).unwrap();
    assert_eq!(getter.wakes(), 1);
}
