//! `gather`: run futures concurrently and collect their outputs in argument order.
//!
//! As in asyncio, every future becomes a task at once (on the running loop, or the thread's
//! event loop outside one, like seed 000's `gather` before `run_until_complete`), so the
//! children start in the next loop iteration whether or not the gather is awaited yet. The
//! gather learns of each child through a done-callback, so whoever awaits it resumes in the
//! same iteration as under CPython (two iterations after the last child finished).
//!
//! Three flavours of asyncio's one function:
//! - [`gather`] / [`gather!`](crate::gather!): every output; the first child that panicked or
//!   was cancelled makes the gather return that [`TaskError`] at once.
//! - [`try_gather`]: for futures returning `Result`: the first `Err` is returned at once
//!   (asyncio's default, where the first exception propagates); siblings keep running.
//! - [`gather_return_exceptions`]: asyncio's `return_exceptions=True`: every outcome in place.
//!
//! Each is asyncio's outer future too: `done()`, `cancelled()`, `result()` (which hands the
//! outcome over once, as a task's does) and `cancel()` (which cancels the children).
//! Dropping a gather that is not done cancels its children, as cancelling the task that
//! awaits it does in asyncio.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::panic::Location;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use asyncio_loop::{
    CancelTarget, InvalidStateError, Task, TaskError, TaskId, TaskRef, get_event_loop,
    note_waiting_on,
};

use crate::child::{Child, Notify};
use crate::outer::Outer;

/// Runs every future of `futures` concurrently, each as a task, and gives their outputs in
/// the order of `futures` (not the order they finished).
///
/// The output is `Err` with the first [`TaskError`] (a child panicked or was cancelled), the
/// moment it is seen. For futures that return `Result`, every `Result` comes back in place,
/// which is asyncio's `return_exceptions=True` for errors; see [`try_gather`] for
/// asyncio's default where the first error ends the gather.
///
/// ```
/// use std::time::Duration;
///
/// async fn double(x: u64) -> u64 {
///     asyncio::sleep(Duration::from_millis(10 - x)).await;
///     x * 2
/// }
///
/// let out = asyncio::run(async { asyncio::gather((1..=3).map(double)).await }).unwrap();
/// assert_eq!(out.unwrap(), [2, 4, 6], "argument order, though 3 finished first");
/// ```
#[track_caller]
pub fn gather<I>(futures: I) -> Gather<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    Gather {
        core: Core::spawn(futures),
    }
}

/// [`gather`] over tasks you already made: asyncio's `gather(task_a, task_b)`, which uses
/// the tasks as they are instead of wrapping them again, so it finishes in the same loop
/// iteration as under CPython (one after the last task).
///
/// ```
/// let event_loop = asyncio::new_event_loop();
/// let a = event_loop.create_task(async { 'a' });
/// let b = event_loop.create_task(async { 'b' });
/// let both = event_loop.run_until_complete(asyncio::gather_tasks([a, b])).unwrap();
/// assert_eq!(both.unwrap(), ['a', 'b']);
/// ```
pub fn gather_tasks<T, I>(tasks: I) -> Gather<T>
where
    I: IntoIterator<Item = Task<T>>,
    T: 'static,
{
    Gather {
        core: Core::watch(tasks),
    }
}

/// asyncio's `gather(*aws)` where the first exception propagates: for futures whose output
/// is `Result<T, E>`, gives every `Ok` value in argument order, or the first failure as soon
/// as it happens (`GatherError::Failed` for an `Err`, `GatherError::Task` for a panic or a
/// cancellation). The other children keep running after a failure, as in asyncio; drop
/// their tasks' work by cancelling them yourself if you do not want it.
///
/// ```
/// async fn check(x: i32) -> Result<i32, String> {
///     if x < 0 { Err(format!("{x} is negative")) } else { Ok(x) }
/// }
///
/// let out = asyncio::run(async {
///     asyncio::try_gather([check(1), check(-2), check(3)]).await
/// })
/// .unwrap();
/// assert_eq!(out.unwrap_err().to_string(), "-2 is negative");
/// ```
#[track_caller]
pub fn try_gather<I, T, E>(futures: I) -> TryGather<T, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: 'static,
{
    TryGather {
        core: Core::spawn(futures),
    }
}

/// asyncio's `gather(*aws, return_exceptions=True)`: waits for every child and gives each
/// outcome in argument order, a panic or a cancellation as its `Err(TaskError)` in place.
///
/// ```
/// let out = asyncio::run(async {
///     asyncio::gather_return_exceptions([
///         Box::pin(async { 1 }) as std::pin::Pin<Box<dyn Future<Output = i32>>>,
///         Box::pin(async { panic!("boom") }),
///     ])
///     .await
/// })
/// .unwrap();
/// assert_eq!(out[0], Ok(1));
/// assert!(out[1].is_err());
/// ```
#[track_caller]
pub fn gather_return_exceptions<I>(futures: I) -> GatherAll<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    GatherAll {
        core: Core::spawn(futures),
    }
}

/// How one flavour of gather treats its children's outcomes.
trait Flavour {
    /// What each child outputs.
    type Child;
    /// What the gather keeps, in place, of each child.
    type Value;
    /// What ends the gather before every child is in.
    type Error;
    /// What awaiting the gather gives.
    type Output;

    /// Keeps a child's outcome in place, or makes it the error that ends the gather.
    fn split(outcome: Result<Self::Child, TaskError>) -> Result<Self::Value, Self::Error>;

    /// The outcome of a gather whose `cancel()` cancelled a child, once every child is
    /// in without an error: asyncio's CancelledError. `None` where the output type cannot
    /// say it (`GatherAll`, whose cancelled children are `Err(Cancelled)` in place).
    fn cancelled() -> Option<Self::Error>;

    /// Whether `error` is a cancellation (awaiting the gather in asyncio would raise
    /// CancelledError).
    fn is_cancellation(error: &Self::Error) -> bool;

    /// The output of a gather that ended with `outcome`.
    fn output(outcome: Result<Vec<Self::Value>, Self::Error>) -> Self::Output;
}

/// What cancelling the task that awaits a gather cancels first: the children, as
/// asyncio's `Task.cancel()` cancels the gather's outer future in `_fut_waiter`. The task's
/// own cancellation then waits for the children's cleanup.
pub(crate) struct ChildrenTarget {
    tasks: Vec<TaskRef>,
    requested: Cell<bool>,
}

impl ChildrenTarget {
    pub(crate) fn new(tasks: Vec<TaskRef>) -> Rc<ChildrenTarget> {
        Rc::new(ChildrenTarget {
            tasks,
            requested: Cell::new(false),
        })
    }

    /// Whether the awaiting task's cancellation cancelled a child.
    pub(crate) fn requested(&self) -> bool {
        self.requested.get()
    }
}

impl CancelTarget for ChildrenTarget {
    fn cancel(&self) -> bool {
        let any = cancel_tasks(self.tasks.clone());
        if any {
            self.requested.set(true);
        }
        any
    }

    fn describe(&self) -> String {
        "gather()".to_owned()
    }

    fn awaited_tasks(&self) -> Vec<TaskId> {
        self.tasks.iter().map(TaskRef::id).collect()
    }
}

/// The children of a gather and what it knows of them.
struct Core<K: Flavour> {
    notify: Rc<Notify>,
    target: Rc<ChildrenTarget>,
    /// In a cell because asyncio's `done()`, `result()` and `cancel()` take `&self`, and
    /// each needs the children's outcomes taken first (see `outer.rs`).
    state: RefCell<State<K>>,
}

struct State<K: Flavour> {
    children: Vec<Child<K::Child>>,
    /// Each child's value once taken, in argument order (allocated at the first one).
    values: Vec<Option<K::Value>>,
    outer: Outer<K::Output>,
}

impl<K: Flavour> Core<K>
where
    K::Child: 'static,
{
    #[track_caller]
    fn spawn<I>(futures: I) -> Self
    where
        I: IntoIterator,
        I::Item: Future<Output = K::Child> + 'static,
    {
        let event_loop = get_event_loop();
        // The user's `gather` line, for the task dump: the closure below loses it.
        let at = Location::caller();
        Self::watch(
            futures
                .into_iter()
                .map(|fut| event_loop.create_task_at(fut, at)),
        )
    }

    fn watch(tasks: impl IntoIterator<Item = Task<K::Child>>) -> Self {
        let notify = Notify::new();
        let children: Vec<_> = tasks
            .into_iter()
            .enumerate()
            .map(|(index, task)| Child::new(task, index, &notify))
            .collect();
        let target = ChildrenTarget::new(children.iter().map(Child::task_ref).collect());
        let state = State {
            children,
            values: Vec::new(),
            outer: Outer::new(),
        };
        Core {
            notify,
            target,
            state: RefCell::new(state),
        }
    }
}

impl<K: Flavour> Core<K> {
    /// Takes the outcome of every child whose done-callback has run, in the order those
    /// ran, and decides the gather once the last is in or one of them ends it. Returns
    /// whether it is decided (asyncio's `outer.done()`).
    fn settle(&self) -> bool {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        if state.outer.is_done() {
            return true;
        }
        while let Some(index) = self.notify.next_finished() {
            let Some(outcome) = state.children[index].take_now() else {
                continue;
            };
            match K::split(outcome) {
                Ok(value) => {
                    if state.values.is_empty() {
                        state.values.resize_with(state.children.len(), || None);
                    }
                    state.values[index] = Some(value);
                }
                Err(error) => {
                    // The child's error as it is, even after `cancel()` (asyncio too).
                    let cancelled = K::is_cancellation(&error);
                    state.outer.set(K::output(Err(error)), cancelled);
                    return true;
                }
            }
        }
        if !state.children.iter().all(Child::is_taken) {
            return false;
        }
        let cancelled = state.outer.cancel_requested() || self.target.requested();
        let outcome = match K::cancelled() {
            Some(error) if cancelled => Err(error),
            _ => Ok(std::mem::take(&mut state.values)
                .into_iter()
                .map(|value| value.expect("every child's value is stored"))
                .collect()),
        };
        state.outer.set(K::output(outcome), cancelled);
        true
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<K::Output> {
        self.notify.register(cx);
        if self.settle() {
            Poll::Ready(self.state.get_mut().outer.take_polled())
        } else {
            note_waiting_on(Rc::clone(&self.target) as Rc<dyn CancelTarget>);
            Poll::Pending
        }
    }

    fn result(&self) -> Result<K::Output, InvalidStateError> {
        self.settle();
        self.state.borrow_mut().outer.take()
    }

    fn result_cloned(&self) -> Result<K::Output, InvalidStateError>
    where
        K::Output: Clone,
    {
        self.settle();
        self.state.borrow().outer.cloned()
    }

    fn cancelled(&self) -> bool {
        self.settle() && self.state.borrow().outer.cancelled()
    }

    /// asyncio's `_GatheringFuture.cancel()`: nothing once done; else cancels every child
    /// still running, and if there was one, the gather ends with a cancellation.
    fn cancel(&self) -> bool {
        if self.settle() {
            return false;
        }
        let cancelled = cancel_tasks(self.unfinished());
        if cancelled {
            self.state.borrow_mut().outer.request_cancel();
        }
        cancelled
    }

    /// The children whose done-callbacks have not run yet.
    fn unfinished(&self) -> Vec<TaskRef> {
        let state = self.state.borrow();
        let pending = state.children.iter().filter(|child| !child.is_done());
        pending.map(Child::task_ref).collect()
    }
}

/// Cancels `tasks`, outside any borrow of a gather's state (a cancellation may drop a task
/// the gather's own children were waiting on, and with it code that asks the gather);
/// returns whether any was still running.
pub(crate) fn cancel_tasks(tasks: Vec<TaskRef>) -> bool {
    let mut any = false;
    for task in tasks {
        any |= task.cancel();
    }
    any
}

impl<K: Flavour> Drop for Core<K> {
    fn drop(&mut self) {
        // asyncio: cancelling the task that awaits a gather cancels the gather, which does
        // nothing once it is done (siblings of a failed child keep running).
        if !self.settle() {
            cancel_tasks(self.unfinished());
        }
    }
}

macro_rules! gathering_future {
    ($name:ident < $($g:ident),+ >, $output:ty) => {
        impl<$($g),+> $name<$($g),+> {
            /// asyncio's `done()`: whether the gather has its outcome, which it has from the
            /// done-callback of the child that decided it (the last one, or the first that
            /// failed) on, awaited or not.
            pub fn done(&self) -> bool {
                self.core.settle()
            }

            /// Whether the gather ended with a cancellation: its [`cancel`](Self::cancel)
            /// took effect, or a child was cancelled where that ends the gather. asyncio's
            /// `await` raises CancelledError exactly then, though its `cancelled()` stays
            /// `False` (CPython issue gh-85071: the outer future holds the CancelledError
            /// as its exception).
            pub fn cancelled(&self) -> bool {
                self.core.cancelled()
            }

            /// asyncio's `result()` without waiting: `Err(InvalidStateError)` "Result is not
            /// set." while pending, else what awaiting would give. The outcome moves out,
            /// as [`Task::result`]'s does: asking again (or awaiting the gather, which then
            /// panics) finds "Result was already taken.". See
            /// [`result_cloned`](Self::result_cloned) to look without taking.
            pub fn result(&self) -> Result<$output, InvalidStateError> {
                self.core.result()
            }

            /// [`result`](Self::result) as asyncio's may be asked again and again: a clone
            /// of the outcome, which stays for the next call or an await.
            pub fn result_cloned(&self) -> Result<$output, InvalidStateError>
            where
                $output: Clone,
            {
                self.core.result_cloned()
            }

            /// asyncio's `cancel()`: `false` once the gather is done; otherwise cancels
            /// every child still running and returns whether there was one, in which case
            /// the gather ends with a cancellation once the children are in.
            pub fn cancel(&self) -> bool {
                self.core.cancel()
            }
        }

        impl<$($g),+> Future for $name<$($g),+> {
            type Output = $output;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
                self.get_mut().core.poll(cx)
            }
        }

        impl<$($g),+> fmt::Debug for $name<$($g),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // asyncio's repr of the future `gather` returns.
                let state = if self.done() { "finished" } else { "pending" };
                write!(f, "<_GatheringFuture {state}>")
            }
        }

        impl<$($g),+> Unpin for $name<$($g),+> {}
    };
}

/// The future of [`gather`]: `Ok` with every output in argument order, or the first
/// [`TaskError`]. Prints as asyncio's `<_GatheringFuture pending>`.
///
/// Cancel safety: dropping it before it is done cancels the children still running
/// (asyncio's cancellation of the task awaiting a gather); once done, it cancels nothing.
///
/// Like asyncio's, it is done once its children are, awaited or not:
///
/// ```
/// use std::time::Duration;
///
/// asyncio::run(async {
///     let g = asyncio::gather([1, 2].map(std::future::ready));
///     assert!(!g.done());
///     assert_eq!(g.result().unwrap_err().to_string(), "Result is not set.");
///     // The children run in the next iteration, their done-callbacks in the one after.
///     asyncio::sleep(Duration::ZERO).await;
///     asyncio::sleep(Duration::ZERO).await;
///     assert!(g.done() && !g.cancelled());
///     assert_eq!(g.result(), Ok(Ok(vec![1, 2])));
///     assert_eq!(g.result().unwrap_err().to_string(), "Result was already taken.");
///
///     let g = asyncio::gather([asyncio::sleep(Duration::from_secs(60))]);
///     assert!(g.cancel(), "a child was cancelled");
///     assert_eq!(g.await, Err(asyncio::TaskError::Cancelled));
/// })
/// .unwrap();
/// ```
#[must_use = "the children run anyway; await the gather to collect their outputs"]
pub struct Gather<T> {
    core: Core<AllOk<T>>,
}

/// [`Gather`]'s flavour: the first child to fail ends it.
struct AllOk<T>(PhantomData<T>);

impl<T> Flavour for AllOk<T> {
    type Child = T;
    type Value = T;
    type Error = TaskError;
    type Output = Result<Vec<T>, TaskError>;

    fn split(outcome: Result<T, TaskError>) -> Result<T, TaskError> {
        outcome
    }

    fn cancelled() -> Option<TaskError> {
        Some(TaskError::Cancelled)
    }

    fn is_cancellation(error: &TaskError) -> bool {
        *error == TaskError::Cancelled
    }

    fn output(outcome: Self::Output) -> Self::Output {
        outcome
    }
}

gathering_future!(Gather<T>, Result<Vec<T>, TaskError>);

/// Why a [`try_gather`] ended early.
#[derive(Debug, Clone, PartialEq)]
pub enum GatherError<E> {
    /// A child returned this `Err`.
    Failed(E),
    /// A child panicked or was cancelled.
    Task(TaskError),
}

/// asyncio's `gather` raises the child's own exception: the child's error, unchanged
/// (which kind it is shows in `Debug`).
impl<E: fmt::Display> fmt::Display for GatherError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatherError::Failed(e) => e.fmt(f),
            GatherError::Task(e) => e.fmt(f),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GatherError<E> {}

/// The future of [`try_gather`]; cancel safety as [`Gather`]'s.
#[must_use = "the children run anyway; await the gather to collect their outputs"]
pub struct TryGather<T, E> {
    core: Core<AllOkValues<T, E>>,
}

/// [`TryGather`]'s flavour: the first `Err`, panic or cancellation ends it.
struct AllOkValues<T, E>(PhantomData<(T, E)>);

impl<T, E> Flavour for AllOkValues<T, E> {
    type Child = Result<T, E>;
    type Value = T;
    type Error = GatherError<E>;
    type Output = Result<Vec<T>, GatherError<E>>;

    fn split(outcome: Result<Result<T, E>, TaskError>) -> Result<T, GatherError<E>> {
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(GatherError::Failed(error)),
            Err(error) => Err(GatherError::Task(error)),
        }
    }

    fn cancelled() -> Option<GatherError<E>> {
        Some(GatherError::Task(TaskError::Cancelled))
    }

    fn is_cancellation(error: &GatherError<E>) -> bool {
        matches!(error, GatherError::Task(TaskError::Cancelled))
    }

    fn output(outcome: Self::Output) -> Self::Output {
        outcome
    }
}

gathering_future!(TryGather<T, E>, Result<Vec<T>, GatherError<E>>);

/// The future of [`gather_return_exceptions`]; cancel safety as [`Gather`]'s.
///
/// After [`cancel`](Self::cancel) took effect, the children it cancelled are
/// `Err(TaskError::Cancelled)` in place and [`cancelled`](Self::cancelled) is true, where
/// asyncio raises CancelledError for the whole gather: its output type has no room for
/// that, and every outcome is still worth having.
#[must_use = "the children run anyway; await the gather to collect their outcomes"]
pub struct GatherAll<T> {
    core: Core<Every<T>>,
}

/// [`GatherAll`]'s flavour: every outcome in place, nothing ends it early.
struct Every<T>(PhantomData<T>);

impl<T> Flavour for Every<T> {
    type Child = T;
    type Value = Result<T, TaskError>;
    type Error = Infallible;
    type Output = Vec<Result<T, TaskError>>;

    fn split(outcome: Result<T, TaskError>) -> Result<Self::Value, Infallible> {
        Ok(outcome)
    }

    fn cancelled() -> Option<Infallible> {
        None
    }

    fn is_cancellation(error: &Infallible) -> bool {
        match *error {}
    }

    fn output(outcome: Result<Vec<Self::Value>, Infallible>) -> Self::Output {
        match outcome {
            Ok(outcomes) => outcomes,
        }
    }
}

gathering_future!(GatherAll<T>, Vec<Result<T, TaskError>>);
