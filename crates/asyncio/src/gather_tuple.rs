//! `gather!(a, b, c)`: [`gather`](crate::gather) for futures of different types, giving a
//! tuple. A function cannot take a variable number of arguments of different types in Rust,
//! so this one is a macro; it expands to tasks made in argument order and one
//! [`GatherTuple`] future over them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use asyncio_loop::{TaskError, get_event_loop};

use crate::child::{Child, Notify};

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
    /// Takes every finished child's output; `Err` at the first failed child.
    fn collect(&mut self, cx: &mut Context<'_>) -> Result<(), TaskError>;
    /// Whether every output has been taken.
    fn complete(&self) -> bool;
    /// Moves the outputs out (only once `complete`).
    fn outputs(&mut self) -> Self::Output;
    /// Whether every child has finished.
    fn all_done(&self) -> bool;
    /// Cancels every child still running.
    fn cancel_all(&self) -> bool;
}

/// The future of [`gather!`](crate::gather!): the output tuple in argument order.
#[must_use = "the children run anyway; await the gather to collect their outputs"]
pub struct GatherTuple<S: Slots> {
    slots: S,
    notify: Rc<Notify>,
    finished: bool,
}

/// Used by [`gather!`](crate::gather!): the tuple future over the slots `make` creates.
#[doc(hidden)]
pub fn __gather_tuple<S: Slots>(make: impl FnOnce(&Rc<Notify>) -> S) -> GatherTuple<S> {
    let notify = Notify::new();
    let slots = make(&notify);
    GatherTuple {
        slots,
        notify,
        finished: false,
    }
}

/// Used by [`gather!`](crate::gather!): makes `fut` a task and watches it.
#[doc(hidden)]
pub fn __gather_child<F: Future + 'static>(notify: &Rc<Notify>, fut: F) -> Slot<F::Output> {
    let index = notify.next_index();
    let task = get_event_loop().create_task(fut);
    Slot {
        child: Child::new(task, index, notify),
        value: None,
    }
}

impl<S: Slots> GatherTuple<S> {
    /// Whether every child has finished.
    pub fn done(&self) -> bool {
        self.finished || self.slots.all_done()
    }

    /// Cancels every child still running; returns whether any was.
    pub fn cancel(&self) -> bool {
        self.slots.cancel_all()
    }
}

impl<S: Slots> Unpin for GatherTuple<S> {}

impl<S: Slots> Future for GatherTuple<S> {
    type Output = Result<S::Output, TaskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.notify.register(cx);
        // The completion order does not matter for a tuple: drain it, then look at each slot.
        while this.notify.next_finished().is_some() {}
        if let Err(error) = this.slots.collect(cx) {
            this.finished = true;
            return Poll::Ready(Err(error));
        }
        if this.slots.complete() {
            this.finished = true;
            return Poll::Ready(Ok(this.slots.outputs()));
        }
        Poll::Pending
    }
}

impl<S: Slots> Drop for GatherTuple<S> {
    fn drop(&mut self) {
        if !self.finished {
            self.slots.cancel_all();
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
    fn collect(&mut self, cx: &mut Context<'_>) -> Result<(), TaskError> {
        if self.value.is_none() {
            if let Some(output) = self.child.take(cx) {
                self.value = Some(output?);
            }
        }
        Ok(())
    }
}

macro_rules! impl_slots {
    ($($t:ident $i:tt),+) => {
        impl<$($t),+> Slots for ($(Slot<$t>,)+) {
            type Output = ($($t,)+);

            fn collect(&mut self, cx: &mut Context<'_>) -> Result<(), TaskError> {
                $( self.$i.collect(cx)?; )+
                Ok(())
            }

            fn complete(&self) -> bool {
                true $( && self.$i.value.is_some() )+
            }

            fn outputs(&mut self) -> Self::Output {
                ($( self.$i.value.take().expect("complete() was checked"), )+)
            }

            fn all_done(&self) -> bool {
                true $( && self.$i.child.is_done() )+
            }

            fn cancel_all(&self) -> bool {
                false $( | self.$i.child.cancel() )+
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
