//! Nothing grows without bound while awaiters come and go (issue 15, fault 7): each case
//! repeats what used to leave something behind and checks, with an allocator that counts
//! live bytes, that the memory held afterwards stays under a bound that does not depend on
//! the number of repetitions. Before the fixes, each of these held memory in proportion to
//! it (about 170 bytes per `wait`, 150 per abandoned awaiter of a `Future`, every finished
//! `TaskGroup` child, the whole buffer of a `call_soon_threadsafe` burst).

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use asyncio::{ReturnWhen, TaskGroup};

/// The system allocator, counting the bytes it has handed out and not got back.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` with the same arguments; the counter is
// only arithmetic on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as is; `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: forwarded as is; the caller upholds `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// One case at a time: the counter is process-wide.
static SERIAL: Mutex<()> = Mutex::new(());

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// What `repeat` rounds of `round` leave held, measured inside a running loop, after
/// `warm` rounds (buffers that reach their steady size are not growth).
async fn held_after<F: std::future::Future<Output = ()>>(
    rounds: usize,
    mut round: impl FnMut() -> F,
) -> isize {
    for _ in 0..100 {
        round().await;
    }
    let before = live();
    for _ in 0..rounds {
        round().await;
    }
    live() - before
}

const ROUNDS: usize = 10_000;
/// Far below what any of the cases held per round times `ROUNDS` (over 1 MB each).
const BOUND: isize = 64 * 1024;

#[test]
fn wait_on_a_long_running_task_leaves_no_done_callback_behind() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let held = asyncio::run(async {
        let long = asyncio::create_task(asyncio::sleep(Duration::from_secs(3600)));
        let held = held_after(ROUNDS, || {
            let shared = long.share();
            async move {
                let (done, pending) =
                    asyncio::wait([shared], ReturnWhen::FirstCompleted, Some(Duration::ZERO)).await;
                assert!(done.is_empty() && pending.len() == 1);
            }
        })
        .await;
        long.cancel();
        held
    })
    .unwrap();
    assert!(held < BOUND, "{ROUNDS} waits left {held} bytes held");
}

#[test]
fn awaiters_of_a_future_that_gave_up_leave_no_waker_behind() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let held = asyncio::run(async {
        let future = asyncio::get_running_loop().unwrap().create_future::<u8>();
        let held = held_after(ROUNDS, || {
            let future = future.clone();
            async move {
                // A task polls the future once, gives up without cancelling it (as a
                // `select` drops its losers), and ends.
                let task = asyncio::create_task(async move {
                    let mut future = future;
                    std::future::poll_fn(|cx| {
                        let _ = std::pin::Pin::new(&mut future).poll(cx);
                        std::task::Poll::Ready(())
                    })
                    .await;
                });
                task.await.unwrap();
            }
        })
        .await;
        assert!(!future.done());
        held
    })
    .unwrap();
    assert!(
        held < BOUND,
        "{ROUNDS} abandoned awaiters left {held} bytes held"
    );
}

#[test]
fn a_task_group_forgets_its_finished_children() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let held = asyncio::run(async {
        let group = TaskGroup::<()>::new();
        let held = held_after(ROUNDS, || {
            let child = group.create_task(async { Ok(()) });
            async move {
                child.await.unwrap().unwrap();
                // Its done callback, which lets the group forget it, runs one iteration on.
                asyncio::sleep(Duration::ZERO).await;
            }
        })
        .await;
        assert!(group.wait().await.is_ok());
        held
    })
    .unwrap();
    assert!(
        held < BOUND,
        "{ROUNDS} finished children left {held} bytes held"
    );
}

#[test]
fn a_burst_of_call_soon_threadsafe_gives_its_room_back() {
    let _serial = SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let event_loop = asyncio::new_event_loop();
    let handle = event_loop.handle();
    // Warm: the buffers at their quiet size.
    event_loop
        .run_until_complete(asyncio::sleep(Duration::ZERO))
        .unwrap();
    let before = live();
    let burst = std::thread::spawn(move || {
        for _ in 0..200_000 {
            handle.call_soon_threadsafe(|| {}).unwrap();
        }
    });
    burst.join().unwrap();
    // Two iterations: one runs the burst, the next finds the queues quiet.
    event_loop.run_once().unwrap();
    event_loop.run_once().unwrap();
    let held = live() - before;
    event_loop.close().unwrap();
    assert!(
        held < BOUND,
        "a burst of 200,000 callbacks left {held} bytes held"
    );
}
