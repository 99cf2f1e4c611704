//! [`Context`]: a mapping of variables to values that code runs in (Python's
//! `contextvars.Context`), and [`SendContext`], a copy of one that may go to another
//! thread.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use crate::current::{self, is_scope_context, swap_entered};
use crate::error::EnterError;
use crate::var::ContextVar;
use crate::vars::{Value, VarId, Vars};

/// A context: the values of context variables that code running in it sees (Python's
/// `contextvars.Context`).
///
/// Code runs in a context entered with [`run`](Context::run); on an event loop, a task's
/// steps run in the task's own context, a copy of its creator's taken by `create_task`,
/// and a callback in a copy of the context it was scheduled from. What a
/// [`ContextVar::set`] changes is the current context only.
///
/// A `Context` is a handle: clones name the same context, as Python references do, and
/// [`copy`](Context::copy) makes a new one holding the same values, in O(1) (the values are
/// shared until either side sets a variable). It is `!Send`, like the loop's other handles
/// (it belongs to the thread that entered it); [`to_send`](Context::to_send) gives a copy
/// for another thread.
///
/// ```
/// use asyncio_contextvars::{Context, ContextVar};
///
/// static LEVEL: ContextVar<u32> = ContextVar::with_default("level", 0);
///
/// let ctx = Context::new();
/// ctx.run(|| LEVEL.set(3)).unwrap();
/// assert_eq!(LEVEL.get(), Ok(0), "set inside the run, not here");
/// assert_eq!(ctx.get(&LEVEL), Some(3), "the context keeps what was set in it");
/// assert_eq!(ctx.run(|| LEVEL.get()).unwrap(), Ok(3));
/// ```
#[derive(Clone, Default)]
pub struct Context(Rc<Inner>);

#[derive(Default)]
struct Inner {
    vars: RefCell<Vars>,
    /// Entered by a `run` on this thread, now.
    entered: Cell<bool>,
}

impl Context {
    /// A new, empty context (Python's `contextvars.Context()`).
    pub fn new() -> Context {
        Context::default()
    }

    pub(crate) fn from_vars(vars: Vars) -> Context {
        Context(Rc::new(Inner {
            vars: RefCell::new(vars),
            entered: Cell::new(false),
        }))
    }

    /// A new context with the same values (Python's `ctx.copy()`), in O(1).
    pub fn copy(&self) -> Context {
        Context::from_vars(self.vars())
    }

    /// Runs `f` in this context (Python's `ctx.run(f)`): what `f` reads and sets, through
    /// any variable, is this context's, and stays in it after `f` returns; the current
    /// context is restored afterwards, also when `f` panics. Runs may nest, each in
    /// another context.
    ///
    /// Fails with [`EnterError`] (`f` not run) when this context is entered already on this
    /// thread: by an enclosing `run`, or as the context of the task running now.
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> Result<R, EnterError> {
        if self.0.entered.get() || is_scope_context(self) {
            return Err(EnterError);
        }
        /// Leaves the context however `f` ends.
        struct Exit<'a> {
            context: &'a Context,
            previous: Option<Context>,
        }
        impl Drop for Exit<'_> {
            fn drop(&mut self) {
                let this = swap_entered(self.previous.take());
                self.context.0.entered.set(false);
                drop(this);
            }
        }
        self.0.entered.set(true);
        let _exit = Exit {
            context: self,
            previous: swap_entered(Some(self.clone())),
        };
        Ok(f())
    }

    /// The value `var` has in this context, if it is set here (Python's `ctx.get(var)`):
    /// the variable's default does not count.
    pub fn get<T: Clone + Send + Sync + 'static>(&self, var: &ContextVar<T>) -> Option<T> {
        self.value(var.id())
            .map(|value| ContextVar::<T>::read(&value))
    }

    /// Whether `var` is set in this context (Python's `var in ctx`).
    pub fn contains<T: Send + Sync + 'static>(&self, var: &ContextVar<T>) -> bool {
        self.value(var.id()).is_some()
    }

    /// How many variables are set in this context (Python's `len(ctx)`).
    pub fn len(&self) -> usize {
        self.0.vars.borrow().len()
    }

    /// Whether no variable is set in this context.
    pub fn is_empty(&self) -> bool {
        self.0.vars.borrow().is_empty()
    }

    /// Whether two handles name the same context (Python's `is`).
    pub fn ptr_eq(&self, other: &Context) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// A copy of this context that may cross to another thread, as asyncio's `to_thread`
    /// carries its caller's context to a pool thread. O(1). Values are `Send + Sync` (a
    /// [`ContextVar`]'s type must be), so every variable goes along.
    pub fn to_send(&self) -> SendContext {
        SendContext(self.vars())
    }

    /// The context's map, shared (O(1)).
    pub(crate) fn vars(&self) -> Vars {
        self.0.vars.borrow().clone()
    }

    pub(crate) fn value(&self, id: VarId) -> Option<Value> {
        self.0.vars.borrow().get(id)
    }

    /// Changes the map with `f`, which returns a value it took out; that is dropped after
    /// the map is released (its `Drop` may read variables).
    pub(crate) fn update(&self, f: impl FnOnce(&mut Vars) -> Option<Value>) -> Option<Value> {
        let mut vars = self.0.vars.borrow_mut();
        f(&mut vars)
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("len", &self.len())
            .field("entered", &self.0.entered.get())
            .finish()
    }
}

/// A copy of a [`Context`] that may be sent to another thread (made by
/// [`Context::to_send`] or [`capture_send`](crate::capture_send)), to run code there in a
/// context with the same values, as asyncio's `to_thread` does with
/// `copy_context().run(func)`. It is immutable: each [`run`](SendContext::run) or
/// [`into_context`](SendContext::into_context) starts a new context from it.
///
/// ```
/// use asyncio_contextvars::{ContextVar, copy_context};
///
/// static REQUEST: ContextVar<u64> = ContextVar::new("request");
///
/// REQUEST.set(7);
/// let context = copy_context().to_send();
/// let seen = std::thread::spawn(move || context.run(|| REQUEST.get()));
/// assert_eq!(seen.join().unwrap(), Ok(7));
/// ```
#[derive(Clone, Default)]
pub struct SendContext(Vars);

impl SendContext {
    /// A new context of this thread holding these values.
    pub fn into_context(self) -> Context {
        if !self.0.is_empty() {
            current::mark_in_use();
        }
        Context::from_vars(self.0)
    }

    /// Runs `f` in a new context holding these values; what `f` sets stays in that
    /// context, which is dropped afterwards.
    pub fn run<R>(self, f: impl FnOnce() -> R) -> R {
        self.into_context()
            .run(f)
            .expect("a context just made is not entered")
    }

    /// Whether no variable is set in it.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SendContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendContext")
            .field("len", &self.0.len())
            .finish()
    }
}
