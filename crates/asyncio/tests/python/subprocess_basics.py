# The trace `tests/subprocess.rs` (`the_trace_is_asyncios`) asserts: asyncio's return codes,
# communicate's outputs and errors for a few children.
import asyncio
import signal
from asyncio.subprocess import PIPE, DEVNULL, STDOUT


async def main():
    p = await asyncio.create_subprocess_exec("sh", "-c", "exit 3")
    print("exit 3 ->", await p.wait())

    p = await asyncio.create_subprocess_exec("sleep", "30")
    print("running ->", p.returncode)
    p.kill()
    print("kill ->", await p.wait())
    try:
        p.send_signal(signal.SIGTERM)
        print("signal after exit -> sent")
    except ProcessLookupError:
        print("signal after exit -> ProcessLookupError")

    p = await asyncio.create_subprocess_exec("sleep", "30")
    p.terminate()
    print("terminate ->", await p.wait())

    p = await asyncio.create_subprocess_exec("cat", stdin=PIPE, stdout=PIPE)
    print("communicate ->", await p.communicate(b"hello"), p.returncode)

    p = await asyncio.create_subprocess_shell(
        "echo out; echo err >&2", stdout=PIPE, stderr=STDOUT
    )
    print("stderr=STDOUT ->", await p.communicate())

    p = await asyncio.create_subprocess_shell("echo gone", stdout=DEVNULL, stderr=PIPE)
    print("DEVNULL ->", await p.communicate())

    p = await asyncio.create_subprocess_shell("no-such-command-xyz 2>/dev/null")
    print("shell, no command ->", await p.wait())

    try:
        await asyncio.create_subprocess_exec("/no/such/program")
    except FileNotFoundError as e:
        print("exec, no program ->", type(e).__name__, e.errno)


asyncio.run(main())
