# TaskGroup as asyncio 3.11 runs it: a failing child's siblings are cancelled by its done
# callback (the next iteration), so a sibling ready in the failing iteration still runs
# and its failure is collected too; the body is cancelled as well; the group ends after
# every child's cleanup; each failed child's own handle keeps its error.
# Expected traces of tests/task_group.rs (the *_as_asyncio tests).
import asyncio

def ticker(loop, n, limit):
    print('iter', n)
    if n < limit:
        loop.call_soon(ticker, loop, n + 1, limit)

async def child(name, steps, fail=False):
    try:
        for i in range(steps):
            print(name, 'step', i)
            await asyncio.sleep(0)
        if fail:
            raise ValueError(name)
        return name
    except asyncio.CancelledError:
        print(name, 'cancelled, cleaning up')
        await asyncio.sleep(0)
        print(name, 'cleanup done')
        raise

async def siblings():
    print('-- siblings')
    loop = asyncio.get_running_loop()
    loop.call_soon(ticker, loop, 1, 8)
    try:
        async with asyncio.TaskGroup() as tg:
            a = tg.create_task(child('a', 1, fail=True))
            b = tg.create_task(child('b', 1, fail=True))
            c = tg.create_task(child('c', 5))
            try:
                print('body waits')
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                print('body cancelled')
                raise
    except* ValueError as eg:
        print('group failed', [str(e) for e in eg.exceptions])
    print('a', repr(a.exception()), 'b', repr(b.exception()), 'c cancelled', c.cancelled())
    await asyncio.sleep(0.01)

async def body_fails():
    print('-- body fails')
    try:
        async with asyncio.TaskGroup() as tg:
            c = tg.create_task(child('c', 5))
            await asyncio.sleep(0)
            raise ValueError('body')
    except* ValueError as eg:
        print('group failed', [str(e) for e in eg.exceptions])
    print('c cancelled', c.cancelled())

async def main():
    await siblings()
    await body_fails()

asyncio.run(main())
