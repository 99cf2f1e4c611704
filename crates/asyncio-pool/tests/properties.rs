//! Properties of `map` and `submit` over arbitrary inputs and pool sizes.

use asyncio_pool::{JobError, ThreadPool};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// `map` gives `f(item)` for every item, in input order, whatever the pool size, and
    /// never starts more threads than `max_workers`.
    #[test]
    fn map_is_an_ordered_map(items in proptest::collection::vec(any::<i32>(), 0..200), max_workers in 1usize..6) {
        let pool = ThreadPool::new(max_workers).unwrap();
        let results: Vec<i64> = pool
            .map(|x: i32| i64::from(x) * 3 - 1, items.clone())
            .unwrap()
            .map(Result::unwrap)
            .collect();
        prop_assert_eq!(results, items.iter().map(|&x| i64::from(x) * 3 - 1).collect::<Vec<_>>());
        prop_assert!(pool.stats().workers <= max_workers);
    }

    /// Jobs that panic and jobs that return, interleaved: each gets its own outcome.
    #[test]
    fn outcomes_stay_with_their_jobs(panics in proptest::collection::vec(any::<bool>(), 1..60)) {
        let pool = ThreadPool::new(2).unwrap();
        let jobs: Vec<_> = panics
            .iter()
            .enumerate()
            .map(|(i, &panic)| {
                pool.submit(move || {
                    if panic {
                        std::panic::panic_any(format!("job {i}"));
                    }
                    i
                })
                .unwrap()
            })
            .collect();
        for (i, (job, &panicked)) in jobs.into_iter().zip(&panics).enumerate() {
            let expected = if panicked { Err(JobError::Panicked(format!("job {i}"))) } else { Ok(i) };
            prop_assert_eq!(job.wait(), expected);
        }
    }
}
