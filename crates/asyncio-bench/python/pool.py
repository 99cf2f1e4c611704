"""`pool` group, CPython side: concurrent.futures.ThreadPoolExecutor with its default size,
driven like the Rust cases (submit a batch of 1,000 trivial calls, then wait for each
result in order). Prints `pool/submit-await-1000 cpython VALUE ns/op`."""

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

BATCH = 1_000


def trivial(i):
    return i


def run(executor, batches):
    started = time.perf_counter_ns()
    for _ in range(batches):
        futures = [executor.submit(trivial, i) for i in range(BATCH)]
        for future in futures:
            future.result()
    return time.perf_counter_ns() - started


def main():
    quick = "--quick" in sys.argv
    batches = 2 if quick else 100
    runs = 1 if quick else 7
    with ThreadPoolExecutor() as executor:
        if not quick:
            run(executor, 10)
        samples = [run(executor, batches) / (batches * BATCH) for _ in range(runs)]
    print(f"pool/submit-await-1000 cpython {statistics.median(samples):.1f} ns/op")


if __name__ == "__main__":
    main()
