"""CPython's asyncio (and uvloop, when importable) on the `loop` bench group's workloads.

Run by `cargo xtask bench [loop] [--quick]`. Prints one line per measurement in the form
`GROUP/CASE IMPLEMENTATION VALUE UNIT`, the same cases as `crates/asyncio-bench/src/loop_.rs`,
so the xtask can print ratios. CPython is much slower per operation than the Rust peers, so
its counts are scaled down (the figures are per operation, so they stay comparable); the
sleep case keeps its full count because what it measures is overhead above a fixed 1 s.
"""

import asyncio
import gc
import queue
import random
import subprocess
import sys
import threading
import time

from _loops import implementations, timed_run
from _results import emit

QUICK = "--quick" in sys.argv


def size(full, quick):
    return quick if QUICK else full


def report(case, implementation, value, unit):
    emit("loop", case, implementation, value, unit)


def median_ns_per_op(run, ops):
    runs = 1 if QUICK else 3
    samples = sorted(run() / ops for _ in range(runs))
    return samples[len(samples) // 2] * 1e9


async def trivial():
    return 1


def spawn_await(new_loop):
    n = size(200_000, 1_000)

    async def main():
        tasks = [asyncio.create_task(trivial()) for _ in range(n)]
        for t in tasks:
            await t

    return median_ns_per_op(lambda: timed_run(new_loop, main), n)


def yields(new_loop, tasks):
    total = size(1_000_000, 10_000)
    per_task = total // tasks

    async def spinner():
        for _ in range(per_task):
            await asyncio.sleep(0)

    async def main():
        await asyncio.gather(*(spinner() for _ in range(tasks)))

    return median_ns_per_op(lambda: timed_run(new_loop, main), per_task * tasks)


def sleep_random_overhead(new_loop):
    n = size(1_000_000, 1_000)
    rng = random.Random(42)
    delays = [rng.randrange(0, 1001) / 1000 for _ in range(n)]
    delays[0] = 1.0  # the longest sleep is exactly 1 s, so the ideal wall time is 1 s

    async def main():
        await asyncio.gather(*(asyncio.sleep(d) for d in delays))

    return (timed_run(new_loop, main) - 1.0) * 1e3


def wait_for_ready(new_loop):
    n = size(200_000, 1_000)

    async def main():
        loop = asyncio.get_running_loop()
        for _ in range(n):
            fut = loop.create_future()
            fut.set_result(1)
            await asyncio.wait_for(fut, 10.0)

    return median_ns_per_op(lambda: timed_run(new_loop, main), n)


def cross_thread_wake(new_loop):
    n = size(20_000, 200)
    replies = queue.SimpleQueue()

    async def main():
        loop = asyncio.get_running_loop()
        box = {}

        def pinger():
            for _ in range(n):
                loop.call_soon_threadsafe(lambda: box["fut"].set_result(None))
                replies.get()

        box["fut"] = loop.create_future()
        thread = threading.Thread(target=pinger)
        start = time.perf_counter()
        thread.start()
        for _ in range(n):
            await box["fut"]
            box["fut"] = loop.create_future()
            replies.put(None)
        thread.join()
        return time.perf_counter() - start

    def run():
        loop = new_loop()
        try:
            return loop.run_until_complete(main())
        finally:
            loop.close()

    return median_ns_per_op(run, n)


def resident_bytes():
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    import resource

    return pages * resource.getpagesize()


def idle_task_memory(name):
    """Measured in a fresh interpreter: memory an earlier case freed stays in this process's
    arenas and would be reused, hiding the tasks' cost."""
    args = [sys.executable, __file__, MEMORY_CHILD, name] + (["--quick"] if QUICK else [])
    output = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return float(output.split()[-1])


MEMORY_CHILD = "--memory-child"


def idle_task_memory_here(new_loop):
    n = size(200_000, 1_000)

    async def main():
        never = asyncio.Event()
        gc.collect()
        before = resident_bytes()
        tasks = [asyncio.create_task(never.wait()) for _ in range(n)]
        await asyncio.sleep(0)  # every task runs its first step and parks
        await asyncio.sleep(0)
        after = resident_bytes()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return (after - before) / n

    loop = new_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        loop.close()


def main():
    for name, new_loop in implementations():
        report("spawn_await", name, spawn_await(new_loop), "ns/op")
        report("yield_2", name, yields(new_loop, 2), "ns/op")
        report("yield_100", name, yields(new_loop, 100), "ns/op")
        report("wait_for_ready", name, wait_for_ready(new_loop), "ns/op")
        report("cross_thread_wake", name, cross_thread_wake(new_loop), "ns/op")
        report("sleep_random_overhead", name, sleep_random_overhead(new_loop), "ms")
        report("idle_task_memory", name, idle_task_memory(name), "bytes/task")


if __name__ == "__main__":
    if MEMORY_CHILD in sys.argv:
        wanted = sys.argv[sys.argv.index(MEMORY_CHILD) + 1]
        print(idle_task_memory_here(dict(implementations())[wanted]))
    else:
        main()
