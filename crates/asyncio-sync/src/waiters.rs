//! The waiter list every primitive of this crate is built on: a first come, first served
//! queue of parked futures, kept in a slab so that parking costs no allocation once the slab
//! has grown, and a pending future that is dropped can leave the queue in O(1).
//!
//! A pending future holds the key of its slot. The primitive *notifies* the first queued
//! waiter by unlinking it and leaving a message in its slot (for a queue getter: "look
//! again"; for a lock waiter: "the lock is yours"). The future reads the message
//! on its next poll. If it is dropped first, the primitive gets the message back from
//! [`Waiters::remove`] and passes it on to the next waiter, which is how every primitive here
//! is cancellation safe without a lock-free intrusive list (and without `unsafe`).
//!
//! The list is not synchronized itself: it lives inside the primitive's `Mutex`, and wakers
//! are returned to the caller so it can wake them after releasing that mutex.

use std::task::Waker;

/// "No slot": the end of a linked list.
const NIL: usize = usize::MAX;

/// One slot of the slab.
enum Slot<M> {
    /// Unused; `next` links the free list.
    Free { next: usize },
    /// Parked and waiting, linked in arrival order.
    Queued {
        waker: Waker,
        prev: usize,
        next: usize,
    },
    /// Taken off the queue by the primitive, with a message for the future that owns it.
    Notified(M),
}

/// A FIFO queue of parked futures, each known by the key of its slab slot.
pub(crate) struct Waiters<M> {
    slots: Vec<Slot<M>>,
    free: usize,
    head: usize,
    tail: usize,
    queued: usize,
    /// Slots in use: queued, or notified and not yet read or handed back.
    registered: usize,
}

impl<M> Default for Waiters<M> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: NIL,
            head: NIL,
            tail: NIL,
            queued: 0,
            registered: 0,
        }
    }
}

impl<M> Waiters<M> {
    /// Whether any waiter is queued (parked and not yet notified).
    pub(crate) fn has_queued(&self) -> bool {
        self.queued != 0
    }

    /// How many waiters are queued (parked and not yet notified).
    pub(crate) fn queued(&self) -> usize {
        self.queued
    }

    /// How many waiters hold a slot: queued, or notified with a message not yet read (by a
    /// poll) or handed back (by a drop). Zero once every waiter's future is gone.
    pub(crate) fn registered(&self) -> usize {
        self.registered
    }

    /// Parks a new waiter at the back of the queue and returns its key.
    pub(crate) fn push(&mut self, waker: &Waker) -> usize {
        let slot = Slot::Queued {
            waker: waker.clone(),
            prev: self.tail,
            next: NIL,
        };
        let key = if self.free == NIL {
            self.slots.push(slot);
            self.slots.len() - 1
        } else {
            let key = self.free;
            self.free = match self.slots[key] {
                Slot::Free { next } => next,
                _ => unreachable!("the free list links only free slots"),
            };
            self.slots[key] = slot;
            key
        };
        match self.tail {
            NIL => self.head = key,
            tail => self.set_next(tail, key),
        }
        self.tail = key;
        self.queued += 1;
        self.registered += 1;
        key
    }

    /// The poll of the future owning `key`: its message if it was notified (the slot is
    /// freed, the key is dead), otherwise `None` after storing `waker` for the next wake.
    pub(crate) fn poll(&mut self, key: usize, waker: &Waker) -> Option<M> {
        match &mut self.slots[key] {
            Slot::Queued { waker: stored, .. } => {
                if !stored.will_wake(waker) {
                    stored.clone_from(waker);
                }
                None
            }
            Slot::Notified(_) => self.free_slot(key),
            Slot::Free { .. } => unreachable!("a waiter polled with a dead key"),
        }
    }

    /// Removes the waiter `key` (its future is being dropped). Returns the message it had been
    /// notified with but never read, so the caller can pass it on; `None` if it was queued.
    pub(crate) fn remove(&mut self, key: usize) -> Option<M> {
        if let Slot::Queued { prev, next, .. } = self.slots[key] {
            self.unlink(prev, next);
        }
        self.free_slot(key)
    }

    /// Takes the first queued waiter off the queue, leaves `message` for it, and returns its
    /// waker (to be woken once the caller has released its lock). `None` if none is queued.
    pub(crate) fn notify_first(&mut self, message: M) -> Option<Waker> {
        let key = self.head;
        if key == NIL {
            return None;
        }
        let Slot::Queued { waker, next, .. } =
            std::mem::replace(&mut self.slots[key], Slot::Notified(message))
        else {
            unreachable!("the waiter queue links only queued slots")
        };
        self.unlink(NIL, next);
        Some(waker)
    }

    /// Notifies every queued waiter with `message` (rare paths: shut-down, `Event::set`,
    /// `notify_all`, a barrier's release); returns their wakers in queue order.
    pub(crate) fn notify_all(&mut self, message: M) -> Vec<Waker>
    where
        M: Clone,
    {
        let mut wakers = Vec::with_capacity(self.queued);
        while let Some(waker) = self.notify_first(message.clone()) {
            wakers.push(waker);
        }
        wakers
    }

    fn set_next(&mut self, key: usize, to: usize) {
        if let Slot::Queued { next, .. } = &mut self.slots[key] {
            *next = to;
        }
    }

    fn set_prev(&mut self, key: usize, to: usize) {
        if let Slot::Queued { prev, .. } = &mut self.slots[key] {
            *prev = to;
        }
    }

    /// Unlinks the queued slot between `prev` and `next` from the queue.
    fn unlink(&mut self, prev: usize, next: usize) {
        match prev {
            NIL => self.head = next,
            prev => self.set_next(prev, next),
        }
        match next {
            NIL => self.tail = prev,
            next => self.set_prev(next, prev),
        }
        self.queued -= 1;
    }

    /// Frees an unlinked slot and returns its message if it held one.
    fn free_slot(&mut self, key: usize) -> Option<M> {
        let old = std::mem::replace(&mut self.slots[key], Slot::Free { next: self.free });
        self.free = key;
        self.registered -= 1;
        match old {
            Slot::Notified(message) => Some(message),
            _ => None,
        }
    }
}

/// Wakes `waker` if there is one (called after the primitive's lock is released).
pub(crate) fn wake(waker: Option<Waker>) {
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// Wakes every waker of `wakers` (called after the primitive's lock is released).
pub(crate) fn wake_all(wakers: Vec<Waker>) {
    wakers.into_iter().for_each(Waker::wake);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn waker() -> (Arc<Counter>, Waker) {
        let counter = Arc::new(Counter(AtomicUsize::new(0)));
        (counter.clone(), Waker::from(counter))
    }

    #[test]
    fn notifies_in_arrival_order() {
        let (_, w) = waker();
        let mut list = Waiters::default();
        let a = list.push(&w);
        let b = list.push(&w);
        let c = list.push(&w);
        assert_eq!(list.queued(), 3);
        assert!(list.notify_first(1).is_some());
        assert!(list.notify_first(2).is_some());
        assert_eq!(list.poll(b, &w), Some(2));
        assert_eq!(list.poll(a, &w), Some(1));
        assert_eq!(list.poll(c, &w), None);
        assert_eq!(list.queued(), 1);
    }

    #[test]
    fn removing_a_queued_waiter_unlinks_it_anywhere() {
        let (_, w) = waker();
        let mut list = Waiters::default();
        let keys: Vec<usize> = (0..5).map(|_| list.push(&w)).collect();
        assert_eq!(list.remove(keys[2]), None::<u8>);
        assert_eq!(list.remove(keys[0]), None);
        assert_eq!(list.remove(keys[4]), None);
        assert_eq!(list.queued(), 2);
        assert!(list.notify_first(7).is_some());
        assert_eq!(list.poll(keys[1], &w), Some(7));
        assert!(list.notify_first(8).is_some());
        assert_eq!(list.remove(keys[3]), Some(8));
        assert!(!list.has_queued());
        assert!(list.notify_first(9).is_none());
    }

    #[test]
    fn slots_are_reused_and_the_latest_waker_is_kept() {
        let (first, w1) = waker();
        let (second, w2) = waker();
        let mut list = Waiters::default();
        let a = list.push(&w1);
        assert_eq!(list.poll(a, &w2), None);
        list.notify_first(()).expect("queued").wake();
        assert_eq!(first.0.load(Ordering::SeqCst), 0);
        assert_eq!(second.0.load(Ordering::SeqCst), 1);
        assert_eq!(list.poll(a, &w2), Some(()));
        let b = list.push(&w1);
        assert_eq!(a, b, "the freed slot is reused");
        assert_eq!(list.notify_all(()).len(), 1);
    }

    #[test]
    fn a_notified_waiter_stays_registered_until_it_reads_or_hands_back_its_message() {
        let (_, w) = waker();
        let mut list = Waiters::default();
        let a = list.push(&w);
        let b = list.push(&w);
        let _c = list.push(&w);
        list.notify_first(1).expect("queued");
        list.notify_first(2).expect("queued");
        assert_eq!((list.queued(), list.registered()), (1, 3));
        assert_eq!(list.poll(a, &w), Some(1));
        assert_eq!(list.remove(b), Some(2));
        assert_eq!((list.queued(), list.registered()), (1, 1));
    }
}
