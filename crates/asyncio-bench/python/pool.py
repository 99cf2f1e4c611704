"""`pool` group, CPython side: concurrent.futures.ThreadPoolExecutor with its default size,
driven like the Rust cases (submit a batch of trivial calls, then wait for each result in
order). Prints `pool/CASE cpython VALUE ns/op` for the cases of `src/pool.rs`."""

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from _results import emit

def trivial(i):
    return i


def run(executor, batch, batches):
    started = time.perf_counter_ns()
    for _ in range(batches):
        futures = [executor.submit(trivial, i) for i in range(batch)]
        for future in futures:
            future.result()
    return time.perf_counter_ns() - started


def main():
    quick = "--quick" in sys.argv
    runs = 1 if quick else 7
    cases = [
        ("submit-await-1000", 1_000, 2_000 if quick else 100_000),
        ("submit-await-1", 1, 200 if quick else 20_000),
    ]
    with ThreadPoolExecutor() as executor:
        for case, batch, jobs in cases:
            batches = jobs // batch
            if not quick:
                run(executor, batch, batches // 10)
            samples = [run(executor, batch, batches) / jobs for _ in range(runs)]
            emit("pool", case, "cpython", statistics.median(samples), "ns/op")


if __name__ == "__main__":
    main()
