//! How a queue orders its items: the one point where [`Queue`](crate::Queue),
//! [`LifoQueue`](crate::LifoQueue) and [`PriorityQueue`](crate::PriorityQueue) differ. The
//! waiting, waking, shut-down and `join` logic is shared in [`BaseQueue`](crate::BaseQueue),
//! as asyncio's subclasses share `Queue` and override only `_put` and `_get`.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// The storage of a queue, which decides which item `get` takes next.
///
/// Implemented by [`Fifo`], [`Lifo`] and [`Priority`]; implement it to make a queue with
/// another order (as subclassing `asyncio.Queue` and overriding `_put`/`_get` does).
pub trait Order<T>: Default {
    /// Stores `item`.
    fn push(&mut self, item: T);
    /// Takes the next item, if any.
    fn pop(&mut self) -> Option<T>;
    /// How many items are stored.
    fn len(&self) -> usize;
    /// Whether no item is stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Drops every item and returns how many there were.
    fn clear(&mut self) -> usize;
}

/// First in, first out: the order of [`Queue`](crate::Queue).
#[derive(Debug)]
pub struct Fifo<T>(VecDeque<T>);

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Self(VecDeque::new())
    }
}

impl<T> Order<T> for Fifo<T> {
    fn push(&mut self, item: T) {
        self.0.push_back(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop_front()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) -> usize {
        let n = self.0.len();
        self.0.clear();
        n
    }
}

/// Last in, first out: the order of [`LifoQueue`](crate::LifoQueue).
#[derive(Debug)]
pub struct Lifo<T>(Vec<T>);

impl<T> Default for Lifo<T> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<T> Order<T> for Lifo<T> {
    fn push(&mut self, item: T) {
        self.0.push(item);
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop()
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) -> usize {
        let n = self.0.len();
        self.0.clear();
        n
    }
}

/// Smallest first, as `heapq`: the order of [`PriorityQueue`](crate::PriorityQueue).
/// Items are typically `(priority, data)` tuples.
#[derive(Debug)]
pub struct Priority<T: Ord>(BinaryHeap<Reverse<T>>);

impl<T: Ord> Default for Priority<T> {
    fn default() -> Self {
        Self(BinaryHeap::new())
    }
}

impl<T: Ord> Order<T> for Priority<T> {
    fn push(&mut self, item: T) {
        self.0.push(Reverse(item));
    }
    fn pop(&mut self) -> Option<T> {
        self.0.pop().map(|Reverse(item)| item)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) -> usize {
        let n = self.0.len();
        self.0.clear();
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain<O: Order<u32>>(items: &[u32]) -> Vec<u32> {
        let mut order = O::default();
        items.iter().for_each(|&i| order.push(i));
        assert_eq!(order.len(), items.len());
        std::iter::from_fn(|| order.pop()).collect()
    }

    #[test]
    fn each_order_takes_items_as_its_name_says() {
        let items = [3, 1, 4, 1, 5];
        assert_eq!(drain::<Fifo<u32>>(&items), [3, 1, 4, 1, 5]);
        assert_eq!(drain::<Lifo<u32>>(&items), [5, 1, 4, 1, 3]);
        assert_eq!(drain::<Priority<u32>>(&items), [1, 1, 3, 4, 5]);
    }

    #[test]
    fn clear_counts_what_it_dropped() {
        let mut order = Priority::default();
        order.push(2);
        order.push(1);
        assert_eq!(order.clear(), 2);
        assert!(order.is_empty());
    }
}
