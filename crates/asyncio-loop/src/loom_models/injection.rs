//! Model 2: the injection queue of `shared.rs` with two producers, the loop's drain and
//! `close`.
//!
//! Every item is accounted for exactly once: taken by the drain, handed back by `close`,
//! or refused by `inject` (returned to its producer) because the loop was closed first.

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering};

use loom::sync::Arc;
use loom::sync::atomic::AtomicUsize;
use loom::thread;

use super::check;
use crate::shared::{Injected, Shared};

/// The most preemptions per execution loom explores here (`None`: every interleaving).
const PREEMPTIONS: Option<usize> = Some(5);

/// An item that counts how often it is run.
fn item(runs: &Arc<Vec<AtomicUsize>>, index: usize) -> Injected {
    let runs = Arc::clone(runs);
    Injected::Call(Box::new(move || {
        runs[index].fetch_add(1, Ordering::Relaxed);
    }))
}

fn run(item: Injected) {
    match item {
        Injected::Call(f) => f(),
        _ => unreachable!("the model injects callbacks only"),
    }
}

#[test]
fn loom_injection_queue_loses_and_duplicates_nothing() {
    static REFUSED: StdAtomicUsize = StdAtomicUsize::new(0);
    const PRODUCERS: usize = 2;
    check(
        "injection: two producers, drain, close",
        PREEMPTIONS,
        || {
            let shared = Arc::new(Shared::new());
            let runs: Arc<Vec<AtomicUsize>> =
                Arc::new((0..PRODUCERS).map(|_| AtomicUsize::new(0)).collect());
            let producers: Vec<_> = (0..PRODUCERS)
                .map(|index| {
                    let shared = Arc::clone(&shared);
                    let runs = Arc::clone(&runs);
                    thread::spawn(move || {
                        if let Err(refused) = shared.inject(item(&runs, index)) {
                            // Closed first: the producer keeps its item.
                            REFUSED.fetch_add(1, Ordering::Relaxed);
                            run(refused);
                        }
                    })
                })
                .collect();
            // The loop: one look at the queue, then `close()` (as `shutdown.rs` does).
            let mut drained = Vec::new();
            shared.drain(&mut drained);
            let handed_back = shared.close();
            drained.into_iter().chain(handed_back).for_each(run);
            for producer in producers {
                producer.join().unwrap();
            }
            for (index, count) in runs.iter().enumerate() {
                let count = count.load(Ordering::Relaxed);
                assert_eq!(count, 1, "item {index} ran {count} times");
            }
            // And once closed, for good.
            assert!(shared.inject(Injected::Stop).is_err());
        },
    );
    assert!(
        REFUSED.load(Ordering::Relaxed) > 0,
        "no interleaving injected after close"
    );
}
