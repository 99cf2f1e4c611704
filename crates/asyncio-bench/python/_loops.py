"""The Python event loops every group compares with: CPython's own, and uvloop's when it is
importable (`cargo xtask bench` installs it in a virtualenv for full runs). A module, not a
group: `cargo xtask bench` skips scripts whose name starts with `_`."""

import asyncio
import time


def implementations():
    """`(name, new_event_loop)` for each loop available here."""
    yield "cpython", asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        print("# uvloop not importable: uvloop comparisons skipped", flush=True)
        return
    yield "uvloop", uvloop.new_event_loop


def timed_run(new_loop, main):
    """Seconds `main()` takes to run to completion on a fresh loop, closed afterwards."""
    loop = new_loop()
    try:
        started = time.perf_counter()
        loop.run_until_complete(main())
        return time.perf_counter() - started
    finally:
        loop.close()
