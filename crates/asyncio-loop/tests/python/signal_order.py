# The order in which a signal handler's callback runs among other callbacks and task
# steps: the signal is raised by the program itself (os.kill(getpid())), between two
# call_soon's; the handler runs after both, once the loop has read the wake-up byte.
# tests/signals.rs::handler_runs_in_order asserts the same trace.
import asyncio
import os
import signal

trace = []


async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: trace.append("signal"))
    loop.call_soon(lambda: trace.append("a"))
    os.kill(os.getpid(), signal.SIGUSR1)
    loop.call_soon(lambda: trace.append("b"))
    for i in range(4):
        trace.append(f"step {i}")
        await asyncio.sleep(0)
    assert loop.remove_signal_handler(signal.SIGUSR1)
    assert not loop.remove_signal_handler(signal.SIGUSR1)
    assert signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
    for bad in (0, 32, 65):
        try:
            loop.add_signal_handler(bad, print)
        except ValueError as e:
            trace.append(f"ValueError: {e}")
    try:
        loop.add_signal_handler(signal.SIGKILL, print)
    except RuntimeError as e:
        trace.append(f"RuntimeError: {e}")


asyncio.run(main())
for line in trace:
    print(line)
