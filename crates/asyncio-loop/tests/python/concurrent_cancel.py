"""Cancelling the concurrent future of run_coroutine_threadsafe cancels the task on the
other loop (futures._chain_future: the future's done callback calls
call_soon_threadsafe(task.cancel)). Expected traces of tests/concurrent_cancel.rs."""
import asyncio
import concurrent.futures
import threading


def section(name):
    print(f"-- {name}")


async def worker(tag, catch=False, started=None):
    print(f"{tag}: started")
    if started is not None:
        started.set()
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print(f"{tag}: cancelled")
        if catch:
            return "swallowed"
        raise
    return "finished"


def ticks(n):
    async def run():
        for i in range(n):
            print(f"iteration {i}")
            await asyncio.sleep(0)
    return run()


# 1. Cancelled from a plain thread while the task runs on loop B (its own thread).
section("cancel from a thread")
loop_b = asyncio.new_event_loop()
started = threading.Event()
thread = threading.Thread(target=loop_b.run_forever)
thread.start()
fut = asyncio.run_coroutine_threadsafe(worker("task", started=started), loop_b)
started.wait()
print("cancel() ->", fut.cancel())
print("cancelled() ->", fut.cancelled(), "done() ->", fut.done())
print("cancel() again ->", fut.cancel())
try:
    fut.result()
except concurrent.futures.CancelledError:
    print("result() -> CancelledError")
# The task hears it through loop B's call_soon_threadsafe.
asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop_b).result()
loop_b.call_soon_threadsafe(loop_b.stop)
thread.join()
loop_b.close()

# 2. Cancelled before loop B ran the hand-off: the task is still made, takes its first
# step (the cancel is queued behind it), and is cancelled at its first await.
section("cancel before the loop runs")
loop_b = asyncio.new_event_loop()
fut = asyncio.run_coroutine_threadsafe(worker("early"), loop_b)
print("cancel() ->", fut.cancel())
loop_b.run_until_complete(ticks(3))
loop_b.close()

# 3. Completed first: cancel() is refused and the result stays.
section("cancel after completion")
loop_b = asyncio.new_event_loop()
async def quick():
    return 42
fut = asyncio.run_coroutine_threadsafe(quick(), loop_b)
loop_b.run_until_complete(ticks(2))
print("cancel() ->", fut.cancel(), "result() ->", fut.result())
loop_b.close()

# 4. A task swallowing the cancellation: the concurrent future stays cancelled.
section("task swallows the cancellation")
loop_b = asyncio.new_event_loop()
fut = asyncio.run_coroutine_threadsafe(worker("stubborn", catch=True), loop_b)
loop_b.run_until_complete(ticks(1))
print("cancel() ->", fut.cancel())
loop_b.run_until_complete(ticks(2))
print("cancelled() ->", fut.cancelled())
loop_b.close()

# 5. A task of loop A awaiting it (wrap_future) is cancelled: that cancels the concurrent
# future, which cancels the task on loop B.
section("the awaiting task on loop A is cancelled")
loop_b = asyncio.new_event_loop()
thread = threading.Thread(target=loop_b.run_forever)
thread.start()
async def main_a():
    started = threading.Event()
    fut = asyncio.run_coroutine_threadsafe(worker("remote", started=started), loop_b)
    async def awaiter():
        try:
            await asyncio.wrap_future(fut)
        except asyncio.CancelledError:
            print("awaiter: cancelled")
            raise
    waiter = asyncio.create_task(awaiter())
    await asyncio.to_thread(started.wait)
    waiter.cancel()
    await asyncio.wait([waiter])
    # The chain's callbacks are call_soon'd: one more iteration.
    await asyncio.sleep(0)
    print("concurrent cancelled() ->", fut.cancelled())
    try:
        await asyncio.wrap_future(fut)
    except asyncio.CancelledError:
        print("concurrent awaited -> CancelledError")
asyncio.run(main_a())
# The cancel reaches loop B through its call_soon_threadsafe queue.
asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop_b).result()
loop_b.call_soon_threadsafe(loop_b.stop)
thread.join()
loop_b.close()
