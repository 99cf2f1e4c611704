//! Where timers live: one slab entry per timer, reused through a free list, and the
//! intrusive doubly linked lists (slots of the wheel) threaded through those entries.
//!
//! Because the links are slab indices inside the entries, filing a timer in a slot or taking
//! it out is O(1) and allocates nothing once the slab has grown to the peak number of timers.

use crate::key::TimerKey;

/// The "no entry" link.
pub(crate) const NIL: u32 = u32::MAX;

/// One timer, or a vacant slot on the free list.
pub(crate) struct Entry<T> {
    /// `Some` while the timer is live; `None` on the free list.
    value: Option<T>,
    /// The deadline in ticks (already clamped to be no earlier than the wheel's `now`).
    pub(crate) deadline: u64,
    /// Previous entry in this entry's list.
    prev: u32,
    /// Next entry in this entry's list; the next free entry when vacant.
    next: u32,
    /// Bumped every time the entry is freed, so stale keys miss.
    generation: u32,
    /// Index of the list this entry is linked into.
    pub(crate) list: u16,
}

/// The head and tail of one intrusive list, and whether its deadlines are in order.
#[derive(Clone, Copy)]
pub(crate) struct List {
    head: u32,
    tail: u32,
    /// Deadlines never decrease from head to tail, so the head holds the earliest. True for
    /// the usual pattern (timeouts of one duration, armed in time order), and then finding a
    /// coarse slot's earliest deadline costs O(1) instead of a walk.
    sorted: bool,
}

impl List {
    /// An empty list.
    pub(crate) const EMPTY: List = List {
        head: NIL,
        tail: NIL,
        sorted: true,
    };

    /// Whether the list has no entries.
    pub(crate) fn is_empty(&self) -> bool {
        self.head == NIL
    }

    /// The first entry, if any.
    pub(crate) fn head(&self) -> Option<u32> {
        (self.head != NIL).then_some(self.head)
    }
}

/// Every timer's entry plus the free list of vacant ones.
pub(crate) struct Slab<T> {
    entries: Vec<Entry<T>>,
    free: u32,
    len: usize,
}

impl<T> Slab<T> {
    /// An empty slab.
    pub(crate) fn new() -> Self {
        Slab {
            entries: Vec::new(),
            free: NIL,
            len: 0,
        }
    }

    /// Live timers.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Stores a timer (not yet linked into any list) and returns its index and key.
    ///
    /// # Panics
    /// If `u32::MAX - 1` timers are already live (the index would collide with `NIL`).
    pub(crate) fn insert(&mut self, deadline: u64, value: T) -> (u32, TimerKey) {
        self.len += 1;
        if self.free != NIL {
            let index = self.free;
            let entry = &mut self.entries[index as usize];
            self.free = entry.next;
            entry.value = Some(value);
            entry.deadline = deadline;
            let key = TimerKey {
                index,
                generation: entry.generation,
            };
            return (index, key);
        }
        let index = u32::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NIL)
            .expect("asyncio_timer::Wheel::insert: more than u32::MAX - 1 live timers");
        self.entries.push(Entry {
            value: Some(value),
            deadline,
            prev: NIL,
            next: NIL,
            generation: 0,
            list: 0,
        });
        (
            index,
            TimerKey {
                index,
                generation: 0,
            },
        )
    }

    /// The index of the live timer `key` names, or `None` if the key is stale.
    pub(crate) fn find(&self, key: TimerKey) -> Option<u32> {
        let entry = self.entries.get(key.index as usize)?;
        (entry.generation == key.generation && entry.value.is_some()).then_some(key.index)
    }

    /// The value of the live entry at `index` (found with [`find`](Slab::find)).
    pub(crate) fn value_mut(&mut self, index: u32) -> &mut T {
        self.entries[index as usize]
            .value
            .as_mut()
            .expect("a found entry is live")
    }

    /// The entry at `index` (live or not).
    pub(crate) fn entry(&self, index: u32) -> &Entry<T> {
        &self.entries[index as usize]
    }

    /// Frees the live entry at `index` (already unlinked) and returns its key and value.
    pub(crate) fn remove(&mut self, index: u32) -> (TimerKey, T) {
        let entry = &mut self.entries[index as usize];
        let value = entry.value.take().expect("slab entry removed twice");
        let key = TimerKey {
            index,
            generation: entry.generation,
        };
        entry.generation = entry.generation.wrapping_add(1);
        entry.next = self.free;
        self.free = index;
        self.len -= 1;
        (key, value)
    }

    /// Frees every live entry (dropping the values) and makes every outstanding key stale.
    /// Keeps the allocation.
    pub(crate) fn clear(&mut self) {
        self.free = NIL;
        for index in (0..self.entries.len()).rev() {
            let entry = &mut self.entries[index];
            if entry.value.take().is_some() {
                entry.generation = entry.generation.wrapping_add(1);
            }
            entry.next = self.free;
            self.free = index as u32;
        }
        self.len = 0;
    }

    /// Appends the entry at `index` to `list` (whose number is `list_index`).
    pub(crate) fn push_back(&mut self, list: &mut List, list_index: usize, index: u32) {
        let tail = list.tail;
        let entry = &mut self.entries[index as usize];
        entry.prev = tail;
        entry.next = NIL;
        entry.list = list_index as u16;
        let deadline = entry.deadline;
        if tail == NIL {
            list.head = index;
        } else {
            let tail = &mut self.entries[tail as usize];
            tail.next = index;
            list.sorted &= tail.deadline <= deadline;
        }
        list.tail = index;
    }

    /// Takes the entry at `index` out of `list`, the list it is linked into.
    pub(crate) fn unlink(&mut self, list: &mut List, index: u32) {
        let Entry { prev, next, .. } = self.entries[index as usize];
        if prev == NIL {
            list.head = next;
        } else {
            self.entries[prev as usize].next = next;
        }
        if next == NIL {
            list.tail = prev;
        } else {
            self.entries[next as usize].prev = prev;
        }
        if list.head == NIL {
            list.sorted = true;
        }
    }

    /// The entry after `index` in its list.
    pub(crate) fn next_in_list(&self, index: u32) -> Option<u32> {
        let next = self.entries[index as usize].next;
        (next != NIL).then_some(next)
    }

    /// The smallest deadline in `list`: the head's if the list is sorted, else by walking it.
    pub(crate) fn min_deadline(&self, list: &List) -> Option<u64> {
        if list.sorted {
            return list.head().map(|head| self.entry(head).deadline);
        }
        let mut min = None;
        let mut cursor = list.head();
        while let Some(index) = cursor {
            let deadline = self.entry(index).deadline;
            min = Some(min.map_or(deadline, |m: u64| m.min(deadline)));
            cursor = self.next_in_list(index);
        }
        min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(slab: &Slab<&str>, list: &List) -> Vec<u32> {
        let mut out = Vec::new();
        let mut cursor = list.head();
        while let Some(i) = cursor {
            out.push(i);
            cursor = slab.next_in_list(i);
        }
        out
    }

    #[test]
    fn lists_link_and_unlink_anywhere() {
        let mut slab = Slab::new();
        let mut list = List::EMPTY;
        let ids: Vec<u32> = ["a", "b", "c", "d"]
            .into_iter()
            .map(|v| slab.insert(1, v).0)
            .collect();
        for &i in &ids {
            slab.push_back(&mut list, 0, i);
        }
        assert_eq!(collect(&slab, &list), ids);
        slab.unlink(&mut list, ids[1]);
        assert_eq!(collect(&slab, &list), [ids[0], ids[2], ids[3]]);
        slab.unlink(&mut list, ids[3]);
        slab.unlink(&mut list, ids[0]);
        assert_eq!(collect(&slab, &list), [ids[2]]);
        slab.unlink(&mut list, ids[2]);
        assert!(list.is_empty());
    }

    #[test]
    fn lists_know_when_their_head_is_the_earliest() {
        let mut slab = Slab::new();
        let mut list = List::EMPTY;
        let push = |slab: &mut Slab<&str>, list: &mut List, deadline| {
            let (index, _) = slab.insert(deadline, "x");
            slab.push_back(list, 0, index);
            index
        };
        push(&mut slab, &mut list, 10);
        push(&mut slab, &mut list, 10);
        push(&mut slab, &mut list, 30);
        assert!(list.sorted);
        assert_eq!(slab.min_deadline(&list), Some(10));
        let late = push(&mut slab, &mut list, 5);
        assert!(!list.sorted);
        assert_eq!(slab.min_deadline(&list), Some(5), "found by walking");
        slab.unlink(&mut list, late);
        assert_eq!(slab.min_deadline(&list), Some(10));
        let mut cursor = list.head();
        while let Some(index) = cursor {
            cursor = slab.next_in_list(index);
            slab.unlink(&mut list, index);
        }
        assert!(
            list.is_empty() && list.sorted,
            "an emptied list is sorted again"
        );
    }

    #[test]
    fn freed_slots_are_reused_with_a_new_generation() {
        let mut slab = Slab::new();
        let (i, k1) = slab.insert(5, "a");
        assert_eq!(slab.find(k1), Some(i));
        assert_eq!(slab.remove(i), (k1, "a"));
        assert_eq!(slab.find(k1), None);
        let (j, k2) = slab.insert(6, "b");
        assert_eq!(i, j);
        assert_ne!(k1, k2);
        assert_eq!(slab.find(k2), Some(j));
        assert_eq!(slab.len(), 1);
    }

    #[test]
    fn clear_makes_every_key_stale() {
        let mut slab = Slab::new();
        let keys: Vec<TimerKey> = (0..5).map(|n| slab.insert(n, "x").1).collect();
        slab.clear();
        assert_eq!(slab.len(), 0);
        assert!(keys.iter().all(|&k| slab.find(k).is_none()));
        let (index, _) = slab.insert(1, "y");
        assert_eq!(index, 0, "the free list starts at the lowest index again");
    }
}
