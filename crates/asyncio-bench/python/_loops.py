"""The Python event loops every group compares with: CPython's own, and uvloop's when it is
importable (`cargo xtask bench` installs it in a virtualenv for full runs). A module, not a
group: `cargo xtask bench` skips scripts whose name starts with `_`."""

import asyncio


def implementations():
    """`(name, new_event_loop)` for each loop available here."""
    yield "cpython", asyncio.new_event_loop
    try:
        import uvloop
    except ImportError:
        print("# uvloop not importable: uvloop comparisons skipped", flush=True)
        return
    yield "uvloop", uvloop.new_event_loop
