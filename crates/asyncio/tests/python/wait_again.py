# Waiting on a set of tasks, then again on what is left, then awaiting the same tasks
# afterwards; FIRST_EXCEPTION returns at the first task that raised. Expected trace of
# tests/wait.rs::wait_again_on_what_is_left_then_await_the_same_tasks.
import asyncio

async def job(name, delay, fail=False):
    await asyncio.sleep(delay)
    if fail:
        raise ValueError(name)
    return name

async def main():
    a = asyncio.create_task(job('a', 0.01))
    b = asyncio.create_task(job('b', 0.03, fail=True))
    c = asyncio.create_task(job('c', 0.06))
    done, pending = await asyncio.wait({a, b, c}, return_when=asyncio.FIRST_COMPLETED)
    print('first', [t.result() for t in done], 'pending', len(pending))
    done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_EXCEPTION)
    print('then', [repr(t.exception()) for t in done], 'pending', len(pending))
    print('a again', await a)
    print('c', await c)
    print('c again', c.result())

asyncio.run(main())
