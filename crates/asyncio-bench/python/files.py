"""`files` group, CPython side: aiofiles (the library seed 003's `aiofiles01.py` uses) on
asyncio, driven like the Rust cases of `src/files.rs`. Prints `files/CASE aiofiles VALUE
UNIT`. aiofiles makes a thread hop per call, so `one_byte` moves 64 KiB here (4 KiB with
`--quick`); the figure is per byte either way. Without aiofiles installed it prints a `#`
line and nothing else (`cargo xtask bench` installs it in its virtualenv for a full run)."""

import asyncio
import os
import statistics
import sys
import tempfile
import time

from _results import emit

try:
    import aiofiles
except ImportError:
    aiofiles = None

CHUNK = 64 * 1024
MIB = 1024 * 1024


async def one_byte(path, size):
    started = time.perf_counter_ns()
    f = await aiofiles.open(path, "wb")
    for n in range(size):
        await f.write(bytes((n % 256,)))
    await f.close()
    f = await aiofiles.open(path, "rb")
    read = 0
    while await f.read(1):
        read += 1
    await f.close()
    elapsed = time.perf_counter_ns() - started
    assert read == size
    return elapsed


async def bulk(path, total):
    chunk = b"\x07" * CHUNK
    started = time.perf_counter_ns()
    f = await aiofiles.open(path, "wb")
    for _ in range(total // CHUNK):
        await f.write(chunk)
    await f.close()
    f = await aiofiles.open(path, "rb")
    read = 0
    while True:
        got = len(await f.read(CHUNK))
        if not got:
            break
        read += got
    await f.close()
    elapsed = time.perf_counter_ns() - started
    assert read == total
    return elapsed


def main():
    if aiofiles is None:
        print("# aiofiles not installed: files/aiofiles skipped", flush=True)
        return
    quick = "--quick" in sys.argv
    runs = 1 if quick else 7
    with tempfile.TemporaryDirectory(prefix="asyncio-bench-files-") as directory:
        path = os.path.join(directory, "bench.bin")
        size = 4 * 1024 if quick else 64 * 1024
        samples = [asyncio.run(one_byte(path, size)) / (2 * size) for _ in range(runs)]
        emit("files", "one_byte", "aiofiles", statistics.median(samples), "ns/op")
        total = 2 * MIB if quick else 64 * MIB
        samples = [2 * total / MIB / (asyncio.run(bulk(path, total)) / 1e9) for _ in range(runs)]
        emit("files", "bulk", "aiofiles", statistics.median(samples), "MiB/s")


if __name__ == "__main__":
    main()
