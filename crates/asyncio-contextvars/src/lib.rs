//! Python's `contextvars` for Rust: [`ContextVar`], [`Token`], [`Context`],
//! [`copy_context`].
//!
//! A context variable has a value per context, and on an event loop a context per task:
//! a task starts in a copy of its creator's context, so a value set before `create_task`
//! (a request id, a deadline, a tracing span) is seen by the task and everything it calls,
//! while what the task sets is seen only by itself and the tasks it creates afterwards.
//! Callbacks run in a copy of the context they were scheduled from, and `to_thread` carries
//! a copy to the pool thread. `asyncio-loop` and the `asyncio` facade do all that; this
//! crate holds the variables and contexts themselves, and depends on nothing.
//!
//! ```
//! use asyncio_contextvars::{Context, ContextVar, copy_context};
//!
//! static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
//!
//! fn log(message: &str) -> String {
//!     match REQUEST_ID.get() {
//!         Ok(id) => format!("[request {id}] {message}"),
//!         Err(_) => format!("[no request] {message}"),
//!     }
//! }
//!
//! let handler = Context::new();
//! handler.run(|| REQUEST_ID.set(7)).unwrap();
//! assert_eq!(handler.run(|| log("start")).unwrap(), "[request 7] start");
//! assert_eq!(log("outside"), "[no request] outside");
//!
//! // A copy is O(1) and independent of its original from then on.
//! let copy = handler.copy();
//! handler.run(|| REQUEST_ID.set(8)).unwrap();
//! assert_eq!(copy.get(&REQUEST_ID), Some(7));
//! assert_eq!(copy_context().len(), 0, "this thread's own context is untouched");
//! ```
//!
//! How it maps to Python:
//!
//! | Python | Rust |
//! |---|---|
//! | `v = ContextVar('v')` | `static V: ContextVar<T> = ContextVar::new("v");` |
//! | `ContextVar('v', default=0)` | `ContextVar::with_default("v", 0)` |
//! | `v.get()` / `v.get(d)` | `V.get()?` (`LookupError`) / `V.get_or(d)` |
//! | `t = v.set(x)`; `v.reset(t)` | `let t = V.set(x);` `V.reset(&t)?` (`ResetError`) |
//! | `contextvars.copy_context()` | `copy_context()` |
//! | `ctx.run(f)` | `ctx.run(f)?` (`EnterError`) |
//! | `ctx[v]`, `v in ctx`, `len(ctx)` | `ctx.get(&V)`, `ctx.contains(&V)`, `ctx.len()` |
//!
//! Values are `Send + Sync` (a copy of a context may cross to a thread) and `get` gives a
//! clone. Contexts are copy-on-write: a copy costs O(1), and a `set` in a context whose
//! map no copy shares writes in place.
//!
//! For runtimes: a task's context need not be entered around each of its steps. While a
//! runtime's [`Scope`] is entered ([`enter_scope`]), code that entered no context itself
//! runs in the context the scope names (the running task's); and [`capture`] gives what a
//! new task or callback must run in, or `None` for an empty context, at the cost of one
//! thread-local load while nobody has set a variable on the thread.
#![forbid(unsafe_code)]

mod context;
mod current;
mod error;
mod var;
mod vars;

pub use context::{Context, SendContext};
pub use current::{Scope, ScopeGuard, capture, capture_send, copy_context, enter_scope, in_use};
pub use error::{EnterError, LookupError, ResetError};
pub use var::{ContextVar, Token};
