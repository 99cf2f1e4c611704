//! The loop's table of pending tasks: a slab indexed by [`TaskKey`], whose generation makes
//! a stale key (a waker of a task that has finished) miss instead of hitting a newer task.
//!
//! The table owns one `Rc` of every pending task; that is what keeps a detached task alive,
//! and what `all_tasks()` and `close()` walk.

use std::rc::Rc;

use crate::task::TaskDyn;

/// Names one task of one loop: a slot index and the slot's generation when it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct TaskKey {
    index: u32,
    generation: u32,
}

struct Slot {
    generation: u32,
    task: Option<Rc<dyn TaskDyn>>,
}

/// Pending tasks by key.
#[derive(Default)]
pub(crate) struct Registry {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

impl Registry {
    /// The key the next [`insert`](Self::insert) will use.
    pub(crate) fn next_key(&self) -> TaskKey {
        match self.free.last() {
            Some(&index) => TaskKey {
                index,
                generation: self.slots[index as usize].generation,
            },
            None => TaskKey {
                index: u32::try_from(self.slots.len()).expect("more than 2^32 pending tasks"),
                generation: 0,
            },
        }
    }

    /// Stores `task` under `key`, which must come from [`next_key`](Self::next_key) with no
    /// insert in between.
    pub(crate) fn insert(&mut self, key: TaskKey, task: Rc<dyn TaskDyn>) {
        debug_assert_eq!(key, self.next_key());
        if self.free.last() == Some(&key.index) {
            self.free.pop();
            self.slots[key.index as usize].task = Some(task);
        } else {
            self.slots.push(Slot {
                generation: 0,
                task: Some(task),
            });
        }
    }

    /// The task under `key`, if it is still pending.
    pub(crate) fn get(&self, key: TaskKey) -> Option<&Rc<dyn TaskDyn>> {
        let slot = self.slots.get(key.index as usize)?;
        if slot.generation == key.generation {
            slot.task.as_ref()
        } else {
            None
        }
    }

    /// Takes the task under `key` out; its slot's generation moves on so old keys miss.
    pub(crate) fn remove(&mut self, key: TaskKey) -> Option<Rc<dyn TaskDyn>> {
        let slot = self.slots.get_mut(key.index as usize)?;
        if slot.generation != key.generation {
            return None;
        }
        let task = slot.task.take()?;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(key.index);
        Some(task)
    }

    /// Every pending task, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Rc<dyn TaskDyn>> {
        self.slots.iter().filter_map(|slot| slot.task.as_ref())
    }

    /// Empties the table, handing every task back (so the caller can drop them outside any
    /// borrow of the loop).
    pub(crate) fn drain(&mut self) -> Vec<Rc<dyn TaskDyn>> {
        let tasks = self
            .slots
            .iter_mut()
            .filter_map(|s| s.task.take())
            .collect();
        self.slots.clear();
        self.free.clear();
        tasks
    }
}
