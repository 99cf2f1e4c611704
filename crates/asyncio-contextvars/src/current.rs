//! Which context is current on this thread, and the hook through which a runtime supplies
//! it.
//!
//! CPython keeps the current context in the thread state, and asyncio enters a task's
//! context around each of its steps (`Handle._run` is `self._context.run(callback)`). An
//! event loop that did that here would pay for it on every step of every task, context
//! variables used or not. So the current context is found lazily, when a variable is read
//! or set, in this order:
//!
//! 1. the innermost context entered with [`Context::run`] on this thread (a callback's
//!    context is entered this way: callbacks are few and each has its own copy);
//! 2. else, while a runtime's [`Scope`] is entered, whatever it says: the event loop answers
//!    with the context of the task whose step is running, made on first need and kept in
//!    the task, so a step enters nothing;
//! 3. else the thread's own context, made on first need (Python's per-thread context).
//!
//! And a runtime asks [`capture`] what a new task or callback must run in: a copy of the
//! current context, or `None` for an empty one, which is all a program that never sets a
//! variable ever sees, for the price of reading one thread-local flag.

use std::cell::{Cell, RefCell};
use std::marker::PhantomData;
use std::rc::Rc;

use crate::context::{Context, SendContext};

/// How a runtime tells which context the code running now belongs to, when no context was
/// entered with [`Context::run`] since the scope was entered: the event loop of
/// `asyncio-loop` answers with the running task's context. Entered for a thread with
/// [`enter_scope`].
pub trait Scope {
    /// The context of the code running now. With `create`, one is made (empty) and kept if
    /// there was none (a variable is being set); without, `None` stands for an empty one.
    ///
    /// It must not read or set context variables itself.
    fn context(&self, create: bool) -> Option<Context>;
}

struct ThreadState {
    /// The innermost context entered with `Context::run` (since the scope was entered).
    entered: Option<Context>,
    scope: Option<Rc<dyn Scope>>,
    /// The thread's own context, made when first needed.
    base: Option<Context>,
}

thread_local! {
    /// Whether a variable may hold a value in some context of this thread: set by the first
    /// `set` (or a context brought from another thread). Until then every context here is
    /// empty, which is what lets [`capture`] answer from this flag alone. A `Cell<bool>`
    /// with a `const` initializer and no destructor: reading it is one load.
    static IN_USE: Cell<bool> = const { Cell::new(false) };
    static STATE: RefCell<ThreadState> = const {
        RefCell::new(ThreadState { entered: None, scope: None, base: None })
    };
}

/// Notes that a context of this thread may now hold a value.
pub(crate) fn mark_in_use() {
    IN_USE.with(|in_use| in_use.set(true));
}

/// The current context (module docs); with `create`, made if there is none. `None` when
/// there is none and `create` is false, or while the thread's locals are being destroyed.
pub(crate) fn current(create: bool) -> Option<Context> {
    enum Found {
        Context(Option<Context>),
        Ask(Rc<dyn Scope>),
    }
    let found = STATE.try_with(|state| {
        let mut state = state.borrow_mut();
        if let Some(entered) = &state.entered {
            return Found::Context(Some(entered.clone()));
        }
        if let Some(scope) = &state.scope {
            return Found::Ask(Rc::clone(scope));
        }
        if create && state.base.is_none() {
            state.base = Some(Context::new());
        }
        Found::Context(state.base.clone())
    });
    match found {
        Ok(Found::Context(context)) => context,
        // Outside the borrow: the scope is the runtime's code.
        Ok(Found::Ask(scope)) => scope.context(create),
        Err(_) => None,
    }
}

/// Makes `context` the innermost entered one; returns the one it replaces.
pub(crate) fn swap_entered(context: Option<Context>) -> Option<Context> {
    STATE
        .try_with(|state| std::mem::replace(&mut state.borrow_mut().entered, context))
        .ok()
        .flatten()
}

/// Whether `context` is the one the entered scope gives the running code (a task's own,
/// during its step), which counts as entered.
pub(crate) fn is_scope_context(context: &Context) -> bool {
    let scope = STATE
        .try_with(|state| state.borrow().scope.clone())
        .ok()
        .flatten();
    scope
        .and_then(|scope| scope.context(false))
        .is_some_and(|current| current.ptr_eq(context))
}

/// Enters `scope` on this thread until the guard is dropped: code that has entered no
/// context with [`Context::run`] runs in the context `scope` gives. A context entered
/// around the scope's entry (a `Context::run` that runs an event loop) is set aside
/// meanwhile, still counted as entered; the guard restores it, and the scope entered
/// before, when dropped.
///
/// This is for runtimes: `asyncio-loop` enters its loop as the scope for each run.
pub fn enter_scope(scope: Rc<dyn Scope>) -> ScopeGuard {
    let (scope, entered) = STATE.with(|state| {
        let mut state = state.borrow_mut();
        (state.scope.replace(scope), state.entered.take())
    });
    ScopeGuard {
        scope,
        entered,
        _not_send: PhantomData,
    }
}

/// Restores the scope and entered context that [`enter_scope`] replaced, when dropped.
#[must_use = "dropping the guard leaves the scope at once"]
pub struct ScopeGuard {
    scope: Option<Rc<dyn Scope>>,
    entered: Option<Context>,
    _not_send: PhantomData<Rc<()>>,
}

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        let (scope, entered) = (self.scope.take(), self.entered.take());
        let replaced = STATE.try_with(|state| {
            let mut state = state.borrow_mut();
            (
                std::mem::replace(&mut state.scope, scope),
                std::mem::replace(&mut state.entered, entered),
            )
        });
        // Dropped outside the borrow: the last reference to a context drops its values.
        drop(replaced);
    }
}

/// A copy of the current context, or `None` when it is empty: what a runtime keeps for a
/// task or callback being created, which must run in such a copy (asyncio's
/// `copy_context()` in `Task.__init__` and `Handle.__init__`). O(1), and for a thread that
/// never set a variable, one load of a thread-local flag.
#[inline]
pub fn capture() -> Option<Context> {
    if !IN_USE.with(Cell::get) {
        return None;
    }
    capture_used()
}

/// Whether a context of this thread may hold a value: false until the first
/// [`ContextVar::set`](crate::ContextVar::set) on the thread (or a [`SendContext`] with
/// values brought here). One load; for runtimes that must look after the context of code
/// only once it may matter.
#[inline]
pub fn in_use() -> bool {
    IN_USE.with(Cell::get)
}

#[inline(never)]
fn capture_used() -> Option<Context> {
    current(false)
        .filter(|context| !context.is_empty())
        .map(|context| context.copy())
}

/// [`capture`] as a [`SendContext`], for work handed to another thread
/// (`call_soon_threadsafe`, `to_thread`).
#[inline]
pub fn capture_send() -> Option<SendContext> {
    if !IN_USE.with(Cell::get) {
        return None;
    }
    capture_used().map(|context| context.to_send())
}

/// A copy of the current context (Python's `contextvars.copy_context()`): O(1); what is set
/// in either afterwards is not seen by the other.
///
/// ```
/// use asyncio_contextvars::{ContextVar, copy_context};
///
/// static USER: ContextVar<&str> = ContextVar::new("user");
///
/// USER.set("ada");
/// let snapshot = copy_context();
/// USER.set("grace");
/// assert_eq!(snapshot.run(|| USER.get()).unwrap(), Ok("ada"));
/// assert_eq!(USER.get(), Ok("grace"));
/// ```
pub fn copy_context() -> Context {
    current(false).map_or_else(Context::new, |context| context.copy())
}
