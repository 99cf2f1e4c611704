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
//! Dropping (cancelling) a gather that has not finished cancels its children.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use asyncio_loop::{Task, TaskError, get_event_loop};

use crate::child::{Child, Notify};

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
pub fn gather<I>(futures: I) -> Gather<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    Gather {
        core: Core::spawn(futures),
        results: Vec::new(),
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
        results: Vec::new(),
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
/// assert_eq!(out.unwrap_err().to_string(), "gather: a child failed: -2 is negative");
/// ```
pub fn try_gather<I, T, E>(futures: I) -> TryGather<T, E>
where
    I: IntoIterator,
    I::Item: Future<Output = Result<T, E>> + 'static,
    T: 'static,
    E: 'static,
{
    TryGather {
        core: Core::spawn(futures),
        results: Vec::new(),
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
pub fn gather_return_exceptions<I>(futures: I) -> GatherAll<<I::Item as Future>::Output>
where
    I: IntoIterator,
    I::Item: Future + 'static,
{
    GatherAll {
        core: Core::spawn(futures),
        results: Vec::new(),
    }
}

/// The children of a gather and what it knows of them.
struct Core<T> {
    children: Vec<Child<T>>,
    notify: Rc<Notify>,
    /// Set once the gather gave its output: then dropping it no longer cancels the children.
    finished: bool,
}

impl<T: 'static> Core<T> {
    fn spawn<I>(futures: I) -> Self
    where
        I: IntoIterator,
        I::Item: Future<Output = T> + 'static,
    {
        let event_loop = get_event_loop();
        Self::watch(futures.into_iter().map(|fut| event_loop.create_task(fut)))
    }

    fn watch(tasks: impl IntoIterator<Item = Task<T>>) -> Self {
        let notify = Notify::new();
        let children = tasks
            .into_iter()
            .enumerate()
            .map(|(index, task)| Child::new(task, index, &notify))
            .collect();
        Core {
            children,
            notify,
            finished: false,
        }
    }
}

impl<T> Core<T> {
    /// Takes the output of every child whose done-callback has run, in completion order,
    /// turning each into a value for `results` (in argument order) or an error that ends the
    /// gather at once; ready with every value once all children are in.
    fn poll_gather<V, E>(
        &mut self,
        cx: &mut Context<'_>,
        results: &mut Vec<Option<V>>,
        mut split: impl FnMut(Result<T, TaskError>) -> Result<V, E>,
    ) -> Poll<Result<Vec<V>, E>> {
        self.notify.register(cx);
        while let Some(index) = self.notify.next_finished() {
            let Some(output) = self.children[index].take(cx) else {
                continue;
            };
            match split(output) {
                Ok(value) => {
                    if results.is_empty() {
                        results.resize_with(self.children.len(), || None);
                    }
                    results[index] = Some(value);
                }
                Err(error) => {
                    self.finished = true;
                    return Poll::Ready(Err(error));
                }
            }
        }
        if !self.all_taken() {
            return Poll::Pending;
        }
        self.finished = true;
        let values = std::mem::take(results).into_iter();
        Poll::Ready(Ok(values
            .map(|v| v.expect("every child's output is stored"))
            .collect()))
    }

    fn all_taken(&self) -> bool {
        self.children.iter().all(Child::is_taken)
    }

    fn done(&self) -> bool {
        self.finished || self.children.iter().all(Child::is_done)
    }

    fn cancel(&self) -> bool {
        let mut any = false;
        for child in &self.children {
            any |= child.cancel();
        }
        any
    }
}

impl<T> Drop for Core<T> {
    fn drop(&mut self) {
        if !self.finished {
            self.cancel();
        }
    }
}

macro_rules! gathering_future_common {
    ($name:ident < $($g:ident),+ >) => {
        impl<$($g),+> $name<$($g),+> {
            /// Whether every child has finished (or the gather already ended early).
            pub fn done(&self) -> bool {
                self.core.done()
            }

            /// Cancels every child still running; returns whether any was.
            pub fn cancel(&self) -> bool {
                self.core.cancel()
            }
        }

        impl<$($g),+> fmt::Debug for $name<$($g),+> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // asyncio's repr of the future `gather` returns.
                let state = if self.core.done() { "finished" } else { "pending" };
                write!(f, "<_GatheringFuture {state}>")
            }
        }

        impl<$($g),+> Unpin for $name<$($g),+> {}
    };
}

/// The future of [`gather`]: `Ok` with every output in argument order, or the first
/// [`TaskError`]. Prints as asyncio's `<_GatheringFuture pending>`.
#[must_use = "the children run anyway; await the gather to collect their outputs"]
pub struct Gather<T> {
    core: Core<T>,
    results: Vec<Option<T>>,
}

gathering_future_common!(Gather<T>);

impl<T> Future for Gather<T> {
    type Output = Result<Vec<T>, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.core
            .poll_gather(cx, &mut this.results, |output| output)
    }
}

/// Why a [`try_gather`] ended early.
#[derive(Debug, Clone, PartialEq)]
pub enum GatherError<E> {
    /// A child returned this `Err`.
    Failed(E),
    /// A child panicked or was cancelled.
    Task(TaskError),
}

impl<E: fmt::Display> fmt::Display for GatherError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatherError::Failed(e) => write!(f, "gather: a child failed: {e}"),
            GatherError::Task(e) => write!(f, "gather: a child task ended without output: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for GatherError<E> {}

/// The future of [`try_gather`].
#[must_use = "the children run anyway; await the gather to collect their outputs"]
pub struct TryGather<T, E> {
    core: Core<Result<T, E>>,
    results: Vec<Option<T>>,
}

gathering_future_common!(TryGather<T, E>);

impl<T, E> Future for TryGather<T, E> {
    type Output = Result<Vec<T>, GatherError<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.core
            .poll_gather(cx, &mut this.results, |output| match output {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(error)) => Err(GatherError::Failed(error)),
                Err(error) => Err(GatherError::Task(error)),
            })
    }
}

/// The future of [`gather_return_exceptions`].
#[must_use = "the children run anyway; await the gather to collect their outcomes"]
pub struct GatherAll<T> {
    core: Core<T>,
    results: Vec<Option<Result<T, TaskError>>>,
}

gathering_future_common!(GatherAll<T>);

impl<T> Future for GatherAll<T> {
    type Output = Vec<Result<T, TaskError>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let polled = this
            .core
            .poll_gather(cx, &mut this.results, Ok::<_, Infallible>);
        polled.map(|all| match all {
            Ok(outcomes) => outcomes,
        })
    }
}
