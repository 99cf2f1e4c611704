//! [`Loops`]: the loops of a set (one per core, [`LoopSet`](crate::LoopSet)) as any of them
//! sees the others, and handing work from one to another: by index, round robin, or to
//! the least loaded. asyncio's model, one loop per thread, kept whole: each loop stays
//! single-threaded and its tasks `!Send`; what crosses is a `Send` future, or a `Send`
//! closure that makes the future on the loop that runs it, and the output, which comes
//! back as a [`ConcurrentFuture`] any loop (or thread) can await.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use asyncio_loop::{ConcurrentFuture, LoopHandle};

/// Which loop of a set gets a piece of work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pick {
    /// The loop at this index (panics if there is none, as indexing does).
    Index(usize),
    /// The next loop in turn: 0, 1, …, n-1, 0, … across every caller of the set.
    RoundRobin,
    /// The loop with the fewest hand-offs in flight (sent through this set and not yet
    /// finished); ties go round robin. It counts only work handed off through the set,
    /// not a loop's own tasks: a loop busy with its own connections looks idle here.
    LeastLoaded,
}

/// One loop's count of hand-offs in flight, alone on its cache line: loops that finish
/// work at the same time do not bounce one line between their cores.
#[repr(align(64))]
#[derive(Default)]
struct Load(AtomicUsize);

struct Inner {
    handles: Vec<LoopHandle>,
    load: Vec<Load>,
    next: AtomicUsize,
}

/// The loops of a set, `Send + Sync` and cheap to clone: every loop's main gets one (see
/// [`LoopSet::run`](crate::LoopSet::run)), and may give it to its tasks and threads.
///
/// Cost: a hand-off is one `call_soon_threadsafe` to the target loop (a queue push and,
/// if it sleeps, one wake) plus, for [`Pick::LeastLoaded`]'s sake, one atomic increment
/// when sent and one decrement when done, on a counter of the set's own: a loop's local
/// `create_task` pays nothing for it.
///
/// ```
/// use asyncio::Pick;
///
/// // Two loops; each asks the other to compute something and awaits the answer.
/// let answers = asyncio::run_per_core(2, |index, loops| async move {
///     let other = (index + 1) % loops.len();
///     loops.spawn(Pick::Index(other), async move { other * 10 }).await.unwrap()
/// });
/// assert_eq!(answers.unwrap(), [10, 0]);
/// ```
#[derive(Clone)]
pub struct Loops {
    inner: Arc<Inner>,
}

impl Loops {
    /// A set of the loops these handles reach, in that order (a [`LoopSet`](crate::LoopSet)
    /// makes it; for loops of your own, make one here).
    pub fn new(handles: Vec<LoopHandle>) -> Loops {
        let load = handles.iter().map(|_| Load::default()).collect();
        Loops {
            inner: Arc::new(Inner {
                handles,
                load,
                next: AtomicUsize::new(0),
            }),
        }
    }

    /// How many loops there are.
    pub fn len(&self) -> usize {
        self.inner.handles.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.inner.handles.is_empty()
    }

    /// The handle of the loop at `index` (for `call_soon_threadsafe`, `stop`…).
    pub fn handle(&self, index: usize) -> &LoopHandle {
        &self.inner.handles[index]
    }

    /// The index of the loop running on this thread, if it is one of the set.
    pub fn current(&self) -> Option<usize> {
        let id = asyncio_loop::get_running_loop().ok()?.id();
        self.inner
            .handles
            .iter()
            .position(|handle| handle.id() == id)
    }

    /// How many hand-offs to the loop at `index` are in flight (sent through this set,
    /// not finished): what [`Pick::LeastLoaded`] compares.
    pub fn in_flight(&self, index: usize) -> usize {
        self.inner.load[index].0.load(Ordering::Relaxed)
    }

    /// The index `pick` chooses now. Panics on an empty set, or an index out of range.
    pub fn pick(&self, pick: Pick) -> usize {
        let len = self.len();
        assert!(len > 0, "no loop to pick from");
        match pick {
            Pick::Index(index) => {
                assert!(index < len, "loop index {index} out of range ({len} loops)");
                index
            }
            Pick::RoundRobin => self.inner.next.fetch_add(1, Ordering::Relaxed) % len,
            Pick::LeastLoaded => {
                // Relaxed loads: a hint, read while others change it; a stale count only
                // picks a loop that was nearly as good.
                let start = self.inner.next.fetch_add(1, Ordering::Relaxed) % len;
                (0..len)
                    .map(|offset| (start + offset) % len)
                    .min_by_key(|&index| self.in_flight(index))
                    .unwrap_or(start)
            }
        }
    }

    /// Runs `future` as a task of the loop `pick` chooses (asyncio's
    /// `run_coroutine_threadsafe` on that loop); await the returned future from any loop
    /// for the output. `Err(TaskError::Cancelled)` if that loop closes (or the task is
    /// cancelled) first, `Err(TaskError::Panicked)` if it panics.
    ///
    /// Cancelling the returned future ([`ConcurrentFuture::cancel`], from any loop or
    /// thread) cancels the task on the other loop, through its `call_soon_threadsafe`, as
    /// cancelling `run_coroutine_threadsafe`'s future does; so does dropping it while it
    /// is awaited (the awaiting task was cancelled, or timed out: asyncio's `wrap_future`
    /// passes that on). Dropped without being awaited, it does not stop the work.
    ///
    /// ```
    /// use asyncio::Pick;
    ///
    /// let sums = asyncio::run_per_core(2, |index, loops| async move {
    ///     if index > 0 {
    ///         return 0;
    ///     }
    ///     // Loop 0 fans work out round robin and adds up the answers.
    ///     let parts: Vec<_> = (1..=4u64)
    ///         .map(|n| loops.spawn(Pick::RoundRobin, async move { n * n }))
    ///         .collect();
    ///     let mut sum = 0;
    ///     for part in parts {
    ///         sum += part.await.unwrap();
    ///     }
    ///     sum
    /// });
    /// assert_eq!(sums.unwrap(), [30, 0]);
    /// ```
    pub fn spawn<F>(&self, pick: Pick, future: F) -> ConcurrentFuture<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let index = self.pick(pick);
        let guard = self.load_guard(index);
        self.inner.handles[index].spawn(async move {
            let _guard = guard;
            future.await
        })
    }

    /// [`spawn`](Self::spawn) for a future that need not be `Send`: `make` is sent to the
    /// chosen loop and builds the future there (it may hold `Rc`s, register sockets, make
    /// tasks). How an acceptor hands a connection to another loop: the std socket is
    /// `Send`, the loop's stream made from it is not. Cancelling the returned future
    /// cancels the task, as for [`spawn`](Self::spawn).
    ///
    /// ```
    /// use std::rc::Rc;
    /// use asyncio::Pick;
    ///
    /// let out = asyncio::run_per_core(2, |index, loops| async move {
    ///     if index > 0 {
    ///         return 0;
    ///     }
    ///     let answer = loops.spawn_with(Pick::Index(1), || {
    ///         let local = Rc::new(41); // made on loop 1, stays there
    ///         async move { *local + 1 }
    ///     });
    ///     answer.await.unwrap()
    /// });
    /// assert_eq!(out.unwrap(), [42, 0]);
    /// ```
    pub fn spawn_with<M, F>(&self, pick: Pick, make: M) -> ConcurrentFuture<F::Output>
    where
        M: FnOnce() -> F + Send + 'static,
        F: Future + 'static,
        F::Output: Send + 'static,
    {
        let index = self.pick(pick);
        let guard = self.load_guard(index);
        self.inner.handles[index].spawn_with(move || {
            let future = make();
            async move {
                let _guard = guard;
                future.await
            }
        })
    }

    /// Counts a hand-off to `index` in flight until the guard drops: when the work ends,
    /// is cancelled, or is dropped unrun by a closed loop.
    fn load_guard(&self, index: usize) -> LoadGuard {
        self.inner.load[index].0.fetch_add(1, Ordering::Relaxed);
        LoadGuard {
            inner: Arc::clone(&self.inner),
            index,
        }
    }
}

impl fmt::Debug for Loops {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.inner.handles).finish()
    }
}

struct LoadGuard {
    inner: Arc<Inner>,
    index: usize,
}

impl Drop for LoadGuard {
    fn drop(&mut self) {
        self.inner.load[self.index]
            .0
            .fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use asyncio_loop::EventLoop;

    #[test]
    fn picks_by_index_in_turn_and_by_load() {
        let (a, b, c) = (EventLoop::new(), EventLoop::new(), EventLoop::new());
        let loops = Loops::new(vec![a.handle(), b.handle(), c.handle()]);
        assert_eq!(loops.pick(Pick::Index(2)), 2);
        let turns: Vec<_> = (0..4).map(|_| loops.pick(Pick::RoundRobin)).collect();
        assert_eq!(turns, [0, 1, 2, 0]);
        // Work sent but not run (the loops do not run) stays in flight.
        let on_a = loops.spawn(Pick::Index(0), async {});
        let on_c = loops.spawn(Pick::Index(2), async {});
        assert_eq!((loops.in_flight(0), loops.in_flight(1)), (1, 0));
        assert_eq!(loops.pick(Pick::LeastLoaded), 1);
        // Run by its loop, a hand-off is no longer in flight.
        assert_eq!(a.run_until_complete(on_a), Ok(Ok(())));
        assert_eq!(loops.in_flight(0), 0);
        // Dropped unrun by a closed loop, it is not either.
        drop(on_c);
        c.close().unwrap();
        assert_eq!(loops.in_flight(2), 0);
    }

    #[test]
    #[should_panic(expected = "loop index 3 out of range (1 loops)")]
    fn an_index_out_of_range_panics() {
        let a = EventLoop::new();
        Loops::new(vec![a.handle()]).pick(Pick::Index(3));
    }
}
