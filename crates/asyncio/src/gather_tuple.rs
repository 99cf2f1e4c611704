//! `gather!(a, b, c)`: [`gather`](crate::gather) for futures of different types, giving a
//! tuple. A function cannot take a variable number of arguments of different types in Rust,
//! so this one is a macro; it expands to tasks made in argument order and one
//! [`GatherTuple`] future over them.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use asyncio_loop::{InvalidStateError, TaskError, TaskRef, get_event_loop, note_waiting_on};

use crate::child::{Child, Notify};
use crate::gather::{ChildrenTarget, cancel_tasks};
use crate::outer::Outer;

/// asyncio's `gather(a, b, c)` for futures of different types: runs each as a task,
/// concurrently, and gives `Ok((a, b, c))`, or the first [`TaskError`] (a child panicked or
/// was cancelled) at once. Dropping the gather before it finished cancels the children.
///
/// ```
/// use std::time::Duration;
///
/// let out = asyncio::run(async {
///     asyncio::gather!(
///         async { asyncio::sleep(Duration::from_millis(5)).await; "five" },
///         async { 1 + 1 },
///     )
///     .await
/// })
/// .unwrap();
/// assert_eq!(out.unwrap(), ("five", 2));
/// ```
#[macro_export]
macro_rules! gather {
    ($($fut:expr),+ $(,)?) => {
        $crate::__gather_tuple(|notify| ( $( $crate::__gather_child(notify, $fut), )+ ))
    };
}

/// One element of a [`GatherTuple`]: the child and, once taken, its output.
#[doc(hidden)]
pub struct Slot<T> {
    child: Child<T>,
    value: Option<T>,
}

/// The tuples `gather!` builds; implemented for 1 to 12 elements.
#[doc(hidden)]
pub trait Slots {
    /// The tuple of outputs.
    type Output;
    /// Takes the output of child `index` if its done-callback has run; `Err` if it failed.
    fn collect(&mut self, index: usize) -> Result<(), TaskError>;
    /// Whether every output has been taken.
    fn complete(&self) -> bool;
    /// Moves the outputs out (only once `complete`).
    fn outputs(&mut self) -> Self::Output;
    /// The children whose done-callbacks have not run yet.
    fn unfinished(&self) -> Vec<TaskRef>;
}

/// The future of [`gather!`](crate::gather!): the output tuple in argument order. Like
/// [`Gather`](crate::Gather), it is asyncio's outer future too, with the same `done()`,
/// `cancelled()`, `result()` and `cancel()`, and the same cancel safety: dropping it before
/// it is done cancels the children still running.
#[must_use = "the children run anyway; await the gather to collect their outputs"]
pub struct GatherTuple<S: Slots> {
    notify: Rc<Notify>,
    /// In a cell for `done()`, `result()` and `cancel()`, which take `&self` (`outer.rs`).
    state: RefCell<TupleState<S>>,
    /// What cancelling the awaiting task cancels first (see `gather.rs`), made at the first
    /// pending poll.
    target: Option<Rc<ChildrenTarget>>,
}

struct TupleState<S: Slots> {
    slots: S,
    outer: Outer<Result<S::Output, TaskError>>,
}

/// Used by [`gather!`](crate::gather!): the tuple future over the slots `make` creates.
#[doc(hidden)]
pub fn __gather_tuple<S: Slots>(make: impl FnOnce(&Rc<Notify>) -> S) -> GatherTuple<S> {
    let notify = Notify::new();
    let slots = make(&notify);
    GatherTuple {
        notify,
        state: RefCell::new(TupleState {
            slots,
            outer: Outer::new(),
        }),
        target: None,
    }
}

/// Used by [`gather!`](crate::gather!): makes `fut` a task and watches it.
#[doc(hidden)]
#[track_caller]
pub fn __gather_child<F: Future + 'static>(notify: &Rc<Notify>, fut: F) -> Slot<F::Output> {
    let index = notify.next_index();
    let task = get_event_loop().create_task(fut);
    Slot {
        child: Child::new(task, index, notify),
        value: None,
    }
}

impl<S: Slots> GatherTuple<S> {
    /// Takes the outputs of the children whose done-callbacks have run, in the order those
    /// ran (the first failure in that order ends the gather, as in asyncio); returns
    /// whether the gather is decided. See [`Gather`](crate::Gather)'s `settle`.
    fn settle(&self) -> bool {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        if state.outer.is_done() {
            return true;
        }
        while let Some(index) = self.notify.next_finished() {
            if let Err(error) = state.slots.collect(index) {
                let cancelled = error == TaskError::Cancelled;
                state.outer.set(Err(error), cancelled);
                return true;
            }
        }
        if !state.slots.complete() {
            return false;
        }
        let awaiter_cancelled = self.target.as_ref().is_some_and(|t| t.requested());
        if state.outer.cancel_requested() || awaiter_cancelled {
            state.outer.set(Err(TaskError::Cancelled), true);
        } else {
            let outputs = state.slots.outputs();
            state.outer.set(Ok(outputs), false);
        }
        true
    }

    /// asyncio's `done()`: whether the gather has its outcome (from the done-callback of
    /// the child that decided it on, awaited or not).
    pub fn done(&self) -> bool {
        self.settle()
    }

    /// Whether the gather ended with a cancellation; see
    /// [`Gather::cancelled`](crate::Gather::cancelled).
    pub fn cancelled(&self) -> bool {
        self.settle() && self.state.borrow().outer.cancelled()
    }

    /// asyncio's `result()` without waiting: "Result is not set." while pending, else what
    /// awaiting would give, handed over once; see [`Gather::result`](crate::Gather::result).
    pub fn result(&self) -> Result<Result<S::Output, TaskError>, InvalidStateError> {
        self.settle();
        self.state.borrow_mut().outer.take()
    }

    /// [`result`](Self::result) without taking it: a clone of the outcome, which stays.
    pub fn result_cloned(&self) -> Result<Result<S::Output, TaskError>, InvalidStateError>
    where
        S::Output: Clone,
    {
        self.settle();
        self.state.borrow().outer.cloned()
    }

    /// asyncio's `cancel()`: `false` once done; otherwise cancels every child still running
    /// and returns whether there was one (the gather then ends with a cancellation).
    pub fn cancel(&self) -> bool {
        if self.settle() {
            return false;
        }
        let unfinished = self.state.borrow().slots.unfinished();
        let cancelled = cancel_tasks(unfinished);
        if cancelled {
            self.state.borrow_mut().outer.request_cancel();
        }
        cancelled
    }
}

impl<S: Slots> Unpin for GatherTuple<S> {}

impl<S: Slots> Future for GatherTuple<S> {
    type Output = Result<S::Output, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.notify.register(cx);
        if this.settle() {
            return Poll::Ready(this.state.get_mut().outer.take_polled());
        }
        let target = match &this.target {
            Some(target) => Rc::clone(target),
            None => {
                let unfinished = this.state.get_mut().slots.unfinished();
                let target = ChildrenTarget::new(unfinished);
                this.target = Some(Rc::clone(&target));
                target
            }
        };
        note_waiting_on(target);
        Poll::Pending
    }
}

impl<S: Slots> Drop for GatherTuple<S> {
    fn drop(&mut self) {
        // As `Gather`'s: once done, it cancels nothing.
        if !self.settle() {
            cancel_tasks(self.state.get_mut().slots.unfinished());
        }
    }
}

impl<S: Slots> fmt::Debug for GatherTuple<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.done() { "finished" } else { "pending" };
        write!(f, "<_GatheringFuture {state}>")
    }
}

impl<T> Slot<T> {
    fn collect(&mut self) -> Result<(), TaskError> {
        if self.value.is_none() {
            if let Some(output) = self.child.take_now() {
                self.value = Some(output?);
            }
        }
        Ok(())
    }

    fn unfinished(&self, tasks: &mut Vec<TaskRef>) {
        if !self.child.is_done() {
            tasks.push(self.child.task_ref());
        }
    }
}

macro_rules! impl_slots {
    ($($t:ident $i:tt),+) => {
        impl<$($t),+> Slots for ($(Slot<$t>,)+) {
            type Output = ($($t,)+);

            fn collect(&mut self, index: usize) -> Result<(), TaskError> {
                match index {
                    $( $i => self.$i.collect(), )+
                    _ => Ok(()),
                }
            }

            fn complete(&self) -> bool {
                true $( && self.$i.value.is_some() )+
            }

            fn outputs(&mut self) -> Self::Output {
                ($( self.$i.value.take().expect("complete() was checked"), )+)
            }

            fn unfinished(&self) -> Vec<TaskRef> {
                let mut tasks = Vec::new();
                $( self.$i.unfinished(&mut tasks); )+
                tasks
            }
        }
    };
}

impl_slots!(A 0);
impl_slots!(A 0, B 1);
impl_slots!(A 0, B 1, C 2);
impl_slots!(A 0, B 1, C 2, D 3);
impl_slots!(A 0, B 1, C 2, D 3, E 4);
impl_slots!(A 0, B 1, C 2, D 3, E 4, F 5);
impl_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
impl_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);
impl_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8);
impl_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9);
impl_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10);
impl_slots!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7, I 8, J 9, K 10, L 11);
