//! Layer 2 (the parts the loop drives): the loop's table of pending tasks: a slab of loop-side references, each task's slot
//! index kept in its header so finishing removes it in O(1).
//!
//! The table owns one reference of every pending task; that is what keeps a detached task
//! alive, and what `all_tasks()` and `close()` walk. Wakers point at tasks directly, so
//! nothing looks tasks up here on the hot path.

use crate::header::TaskRc;

/// Pending tasks, in slots reused once freed.
#[derive(Default)]
pub(crate) struct Registry {
    slots: Vec<Option<TaskRc>>,
    free: Vec<u32>,
}

impl Registry {
    /// Stores `task` and records its slot in its header.
    pub(crate) fn insert(&mut self, task: TaskRc) {
        let index = match self.free.pop() {
            Some(index) => index,
            None => {
                let index = u32::try_from(self.slots.len()).expect("fewer than 2^32 pending tasks");
                self.slots.push(None);
                index
            }
        };
        task.header().slot.set(index);
        self.slots[index as usize] = Some(task);
    }

    /// Takes `task` out, if it is here.
    pub(crate) fn remove(&mut self, task: &TaskRc) -> Option<TaskRc> {
        let index = task.header().slot.replace(u32::MAX);
        let slot = self.slots.get_mut(index as usize)?;
        if !slot.as_ref().is_some_and(|held| held.ptr_eq(task)) {
            return None;
        }
        self.free.push(index);
        slot.take()
    }

    /// Every pending task, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &TaskRc> {
        self.slots.iter().flatten()
    }

    /// Empties the table, handing every task back (so the caller can drop them outside any
    /// borrow of the loop).
    pub(crate) fn drain(&mut self) -> Vec<TaskRc> {
        let tasks = self.slots.drain(..).flatten().collect();
        self.free.clear();
        tasks
    }
}
