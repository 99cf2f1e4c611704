# Ctrl-C in asyncio.run (Python 3.11's Runner): this program runs itself as a child with a
# mode, waits for the child's "ready", sends it SIGINT (twice in mode "twice"), and prints
# what the child printed and how it ended. tests/ctrl_c.rs does the same with the Rust
# test binary and asserts the same lines (Rust's "run: Err(Interrupted)" is Python's
# KeyboardInterrupt caught around asyncio.run).
import asyncio
import os
import signal
import subprocess
import sys


async def leftover():
    try:
        await asyncio.sleep(3600)
    finally:
        print("leftover cleaned up", flush=True)


async def main(mode):
    if mode == "ignored":
        # SIGINT was ignored before run: run leaves it so.
        print(f"SIGINT ignored in run: {signal.getsignal(signal.SIGINT) == signal.SIG_IGN}")
        return "done"
    if mode == "own":
        # The program's own handler replaces run's: SIGINT no longer cancels main.
        got = asyncio.Event()

        def own():
            print("own handler", flush=True)
            got.set()

        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, own)
        print("ready", flush=True)
        await got.wait()
        return "own"
    asyncio.create_task(leftover())
    await asyncio.sleep(0)
    if mode == "plain":
        # No except: the cancellation ends main (its finally runs).
        try:
            print("ready", flush=True)
            await asyncio.sleep(3600)
        finally:
            print("main dropped", flush=True)
    print("ready", flush=True)
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print("main cancelled", flush=True)
        await asyncio.sleep(0.001)
        if mode == "twice":
            try:
                print("ready again", flush=True)
                await asyncio.sleep(3600)
            finally:
                print("main dropped", flush=True)
        print("main cleanup done", flush=True)
        if mode == "swallow":
            return "swallowed"
        raise


def child(mode):
    if mode == "ignored":
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        out = asyncio.run(main(mode))
        print(f"run: Ok({out!r})")
    except KeyboardInterrupt:
        print("run: Err(Interrupted)")
    default = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if mode == "ignored":
        print(f"SIGINT ignored after run: {signal.getsignal(signal.SIGINT) == signal.SIG_IGN}")
    else:
        print(f"SIGINT default: {default}")


def parent(mode):
    proc = subprocess.Popen([sys.executable, __file__, mode], stdout=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stdout:
        line = line.rstrip("\n")
        lines.append(line)
        if line.startswith("ready"):
            os.kill(proc.pid, signal.SIGINT)
    proc.wait()
    print(f"== {mode}: exit {proc.returncode}")
    for line in lines:
        print(line)


if len(sys.argv) > 1:
    child(sys.argv[1])
else:
    for mode in ("plain", "reraise", "swallow", "twice", "own", "ignored"):
        parent(mode)
