//! The mapping a context holds: variable to value, immutable once shared.
//!
//! CPython keeps a context's variables in a HAMT, a persistent map: copying a context is
//! O(1) and a `set` builds a new map sharing most of the old one. Contexts hold few
//! variables (a request id, a deadline, a tracing span), so here the map is a sorted
//! `Vec` behind an `Arc`: a copy clones the `Arc` (O(1)); a `set` writes in place when no
//! copy shares the map (`Arc::make_mut`), and otherwise clones it first, which is O(n) in
//! the number of variables set, one reference count each.

use std::any::Any;
use std::sync::Arc;

/// A variable's value, type-erased. `Send + Sync` so that a copy of a context can go to
/// another thread (`to_thread`, `call_soon_threadsafe`), as Python's does.
pub(crate) type Value = Arc<dyn Any + Send + Sync>;

/// The identity of a [`ContextVar`](crate::ContextVar): a process-wide number, never reused.
pub(crate) type VarId = u64;

/// A context's variables. `None` is the empty map, which costs no allocation.
#[derive(Clone, Default)]
pub(crate) struct Vars(Option<Arc<Vec<(VarId, Value)>>>);

impl Vars {
    pub(crate) fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(|entries| entries.is_empty())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |entries| entries.len())
    }

    /// The value of `id`, if it is set (a clone of its `Arc`).
    pub(crate) fn get(&self, id: VarId) -> Option<Value> {
        let entries = self.0.as_ref()?;
        let at = entries.binary_search_by_key(&id, |(key, _)| *key).ok()?;
        Some(Arc::clone(&entries[at].1))
    }

    /// Sets `id` to `value`; returns the value it replaces, for the caller to drop once it
    /// no longer borrows the map (a value's `Drop` is user code, which may use variables).
    #[must_use = "the old value is handed back to be dropped outside any borrow"]
    pub(crate) fn set(&mut self, id: VarId, value: Value) -> Option<Value> {
        let entries = Arc::make_mut(self.0.get_or_insert_with(Default::default));
        match entries.binary_search_by_key(&id, |(key, _)| *key) {
            Ok(at) => Some(std::mem::replace(&mut entries[at].1, value)),
            Err(at) => {
                entries.insert(at, (id, value));
                None
            }
        }
    }

    /// Unsets `id`; returns its value, to drop outside any borrow.
    #[must_use = "the old value is handed back to be dropped outside any borrow"]
    pub(crate) fn remove(&mut self, id: VarId) -> Option<Value> {
        let entries = self.0.as_mut()?;
        let at = entries.binary_search_by_key(&id, |(key, _)| *key).ok()?;
        Some(Arc::make_mut(entries).remove(at).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(n: u32) -> Value {
        Arc::new(n)
    }

    fn read(vars: &Vars, id: VarId) -> Option<u32> {
        vars.get(id).map(|v| *v.downcast_ref::<u32>().unwrap())
    }

    #[test]
    fn a_copy_keeps_what_the_map_held_when_it_was_taken() {
        let mut vars = Vars::default();
        assert!(vars.is_empty());
        let _ = vars.set(2, value(20));
        let _ = vars.set(1, value(10));
        let copy = vars.clone();
        assert_eq!(
            vars.set(2, value(21))
                .map(|v| *v.downcast_ref::<u32>().unwrap()),
            Some(20)
        );
        let _ = vars.remove(1);
        assert_eq!((read(&vars, 1), read(&vars, 2)), (None, Some(21)));
        assert_eq!((read(&copy, 1), read(&copy, 2)), (Some(10), Some(20)));
        assert_eq!((vars.len(), copy.len()), (1, 2));
    }

    #[test]
    fn an_unshared_map_is_written_in_place() {
        let mut vars = Vars::default();
        let _ = vars.set(1, value(1));
        let before = Arc::as_ptr(vars.0.as_ref().unwrap());
        let _ = vars.set(3, value(3));
        let _ = vars.set(2, value(2));
        assert_eq!(Arc::as_ptr(vars.0.as_ref().unwrap()), before);
        let keys: Vec<VarId> = vars.0.as_ref().unwrap().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [1, 2, 3], "kept sorted for the binary search");
    }

    #[test]
    fn removing_what_is_not_there_changes_nothing() {
        let mut vars = Vars::default();
        assert!(vars.remove(7).is_none());
        assert!(vars.is_empty());
        let _ = vars.set(1, value(1));
        let copy = vars.clone();
        assert!(vars.remove(7).is_none());
        assert!(Arc::ptr_eq(
            vars.0.as_ref().unwrap(),
            copy.0.as_ref().unwrap()
        ));
    }
}
