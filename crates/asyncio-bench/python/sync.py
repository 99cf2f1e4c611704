"""`sync` group, CPython side: asyncio's own Queue, Lock and Semaphore on the cases of
`src/sync.rs`, on CPython's event loop (and uvloop's, when importable).

Run by `cargo xtask bench [sync] [--quick]`. Prints `sync/CASE IMPLEMENTATION VALUE ns/op`
lines. CPython costs far more per operation than the Rust implementations, so the counts
are scaled down; the figures are per operation, so they stay comparable.
"""

import asyncio
import statistics
import sys

from _loops import implementations, timed_run
from _results import emit

QUICK = "--quick" in sys.argv


def size(full, quick):
    return quick if QUICK else full


def report(case, implementation, value):
    emit("sync", case, implementation, value, "ns/op")


def median_ns_per_op(new_loop, main, ops):
    """Runs `main()` on a fresh loop several times; the median per-op cost in ns."""

    def once():
        return timed_run(new_loop, main) * 1e9 / ops

    return statistics.median(once() for _ in range(1 if QUICK else 5))


def ping_pong(trips):
    async def main():
        ping, pong = asyncio.Queue(1), asyncio.Queue(1)

        async def echo():
            for _ in range(trips):
                await pong.put(await ping.get())

        echoer = asyncio.create_task(echo())
        for i in range(trips):
            await ping.put(i)
            assert await pong.get() == i
        await echoer

    return main


def spsc(items):
    async def main():
        queue = asyncio.Queue(1024)

        async def produce():
            for i in range(items):
                await queue.put(i)

        producer = asyncio.create_task(produce())
        total = 0
        for _ in range(items):
            total += await queue.get()
        await producer
        assert total == items * (items - 1) // 2

    return main


def lock_uncontended(ops):
    async def main():
        lock = asyncio.Lock()
        for _ in range(ops):
            async with lock:
                pass

    return main


def semaphore_uncontended(ops):
    async def main():
        semaphore = asyncio.Semaphore(1)
        for _ in range(ops):
            async with semaphore:
                pass

    return main


def lock_contended(tasks, rounds):
    async def main():
        lock = asyncio.Lock()

        async def worker():
            for _ in range(rounds):
                async with lock:
                    await asyncio.sleep(0)

        await asyncio.gather(*(worker() for _ in range(tasks)))

    return main


def main():
    trips = size(100_000, 1_000)
    items = size(1_000_000, 10_000)
    ops = size(1_000_000, 10_000)
    rounds = size(200, 10)
    for name, new_loop in implementations():
        report("ping_pong", name, median_ns_per_op(new_loop, ping_pong(trips), trips))
        report("spsc_1024", name, median_ns_per_op(new_loop, spsc(items), items))
        report("lock_uncontended", name, median_ns_per_op(new_loop, lock_uncontended(ops), ops))
        report(
            "semaphore_uncontended",
            name,
            median_ns_per_op(new_loop, semaphore_uncontended(ops), ops),
        )
        report(
            "lock_contended_100",
            name,
            median_ns_per_op(new_loop, lock_contended(100, rounds), 100 * rounds),
        )


if __name__ == "__main__":
    main()
