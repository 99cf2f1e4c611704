//! [`ContextVar`] and its [`Token`] (Python's `contextvars.ContextVar` and `Token`).

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::context::Context;
use crate::current::{current, mark_in_use};
use crate::error::{LookupError, ResetError};
use crate::vars::{Value, VarId};

/// The next variable's identity; 0 means "not assigned yet".
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A context variable (Python's `contextvars.ContextVar`): a value per [`Context`], so per
/// task on an event loop. A task starts with a copy of its creator's values; what it sets
/// is seen by its own code and the tasks and callbacks it creates afterwards, never by its
/// creator or its siblings.
///
/// Declare it as a `static` (Python declares it at module level), not a `const`: each use
/// of a `const` would be a new variable. Values must be `Send + Sync`, because a copy of
/// a context goes along with `to_thread` and `call_soon_threadsafe` to another thread, as
/// in Python; a `ContextVar<Rc<_>>` does not compile. [`get`](ContextVar::get) returns a
/// clone: store an `Arc` to share one large value.
///
/// ```
/// use asyncio_contextvars::{ContextVar, LookupError};
///
/// static REQUEST_ID: ContextVar<u64> = ContextVar::new("request_id");
/// static LOG_LEVEL: ContextVar<&str> = ContextVar::with_default("log_level", "info");
///
/// assert_eq!(REQUEST_ID.get(), Err(LookupError::new("request_id")));
/// assert_eq!(LOG_LEVEL.get(), Ok("info"));
///
/// let token = REQUEST_ID.set(42);
/// assert_eq!(REQUEST_ID.get(), Ok(42));
/// REQUEST_ID.reset(&token).unwrap(); // back to unset
/// assert_eq!(REQUEST_ID.get_or(0), 0);
/// assert_eq!(
///     REQUEST_ID.reset(&token).unwrap_err().to_string(),
///     "<Token used var=<ContextVar name='request_id'>> has already been used once"
/// );
/// ```
///
/// Values that are not `Send + Sync` cannot be stored:
///
/// ```compile_fail
/// use std::rc::Rc;
/// static NOT_SEND: asyncio_contextvars::ContextVar<Rc<u8>> =
///     asyncio_contextvars::ContextVar::new("not_send");
/// ```
pub struct ContextVar<T> {
    name: &'static str,
    default: Option<T>,
    /// Assigned on first use, so that `new` can be `const`.
    id: AtomicU64,
}

impl<T: Send + Sync + 'static> ContextVar<T> {
    /// A variable without a default: [`get`](Self::get) fails while it is unset.
    pub const fn new(name: &'static str) -> ContextVar<T> {
        ContextVar {
            name,
            default: None,
            id: AtomicU64::new(0),
        }
    }

    /// A variable whose [`get`](Self::get) gives `default` while it is unset.
    pub const fn with_default(name: &'static str, default: T) -> ContextVar<T> {
        ContextVar {
            name,
            default: Some(default),
            id: AtomicU64::new(0),
        }
    }

    /// The variable's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The variable's identity among all variables of the process.
    pub(crate) fn id(&self) -> VarId {
        match self.id.load(Ordering::Relaxed) {
            0 => {
                let fresh = NEXT_ID.fetch_add(1, Ordering::Relaxed);
                match self
                    .id
                    .compare_exchange(0, fresh, Ordering::Relaxed, Ordering::Relaxed)
                {
                    Ok(_) => fresh,
                    // Another thread assigned one first: the numbers are only compared.
                    Err(assigned) => assigned,
                }
            }
            id => id,
        }
    }

    pub(crate) fn read(value: &Value) -> T
    where
        T: Clone,
    {
        value
            .downcast_ref::<T>()
            .expect("a variable's values have its type")
            .clone()
    }

    /// The value in the current context, else the variable's default, else
    /// [`LookupError`] (Python's `var.get()`).
    pub fn get(&self) -> Result<T, LookupError>
    where
        T: Clone,
    {
        let value = current(false).and_then(|context| context.value(self.id()));
        match (value, &self.default) {
            (Some(value), _) => Ok(Self::read(&value)),
            (None, Some(default)) => Ok(default.clone()),
            (None, None) => Err(LookupError { name: self.name }),
        }
    }

    /// The value in the current context, else `default`; the variable's own default does
    /// not count (Python's `var.get(default)`).
    pub fn get_or(&self, default: T) -> T
    where
        T: Clone,
    {
        let value = current(false).and_then(|context| context.value(self.id()));
        value.map_or(default, |value| Self::read(&value))
    }

    /// Sets the value in the current context (Python's `var.set(value)`); the token
    /// [`reset`](Self::reset)s it to what it was.
    pub fn set(&self, value: T) -> Token<T> {
        mark_in_use();
        // Only `None` while the thread's locals are being destroyed: the value then goes
        // to a context nobody will read.
        let context = current(true).unwrap_or_default();
        let id = self.id();
        let old = context.update(|vars| vars.set(id, Arc::new(value)));
        Token {
            var: id,
            name: self.name,
            context,
            old,
            used: Cell::new(false),
            _type: PhantomData,
        }
    }

    /// Puts the variable back as it was before the [`set`](Self::set) that made `token`:
    /// its old value, or unset (Python's `var.reset(token)`). A token serves once, in the
    /// context it was made in, with the variable that made it; otherwise the variable is
    /// left alone and the error says which rule was broken, in Python's words.
    pub fn reset(&self, token: &Token<T>) -> Result<(), ResetError> {
        let var = token.name;
        if token.used.get() {
            return Err(ResetError::AlreadyUsed { var });
        }
        let id = self.id();
        if token.var != id {
            return Err(ResetError::DifferentVar { var });
        }
        let context = current(false);
        if !context.as_ref().is_some_and(|c| c.ptr_eq(&token.context)) {
            return Err(ResetError::DifferentContext { var });
        }
        token.used.set(true);
        let replaced = token.context.update(|vars| match &token.old {
            Some(old) => vars.set(id, Arc::clone(old)),
            None => vars.remove(id),
        });
        drop(replaced);
        Ok(())
    }
}

impl<T> fmt::Debug for ContextVar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<ContextVar name='{}'>", self.name)
    }
}

/// What [`ContextVar::set`] returns: the way back to the value before (Python's
/// `contextvars.Token`). It serves once, in the context it was made in.
pub struct Token<T> {
    var: VarId,
    name: &'static str,
    context: Context,
    old: Option<Value>,
    used: Cell<bool>,
    _type: PhantomData<fn() -> T>,
}

impl<T: 'static> Token<T> {
    /// The value the variable had before the `set`, if it had one (Python's
    /// `token.old_value`, `Token.MISSING` being `None`).
    pub fn old_value(&self) -> Option<&T> {
        self.old.as_deref().and_then(|old| old.downcast_ref::<T>())
    }

    /// The name of the variable that made the token (Python's `token.var.name`).
    pub fn var_name(&self) -> &'static str {
        self.name
    }
}

impl<T> fmt::Debug for Token<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let used = if self.used.get() { "used " } else { "" };
        write!(f, "<Token {used}var=<ContextVar name='{}'>>", self.name)
    }
}
