# A task awaiting a task resumes the iteration after the awaited one finished;
# run_until_complete returns after the iteration following the main task's completion.
# Expected trace of tests/ordering.rs::task_awaiting_task.
import asyncio

def ticker(loop, n=[0]):
    n[0] += 1
    print('iter', n[0])
    if n[0] < 10:
        loop.call_soon(ticker, loop)

async def inner():
    print('inner start')
    await asyncio.sleep(0)
    print('inner end')
    return 1

async def outer():
    print('outer start')
    r = await asyncio.create_task(inner())
    print('outer got', r)
    return r + 1

async def main():
    loop = asyncio.get_running_loop()
    loop.call_soon(ticker, loop)
    r = await asyncio.create_task(outer())
    print('main got', r)

loop = asyncio.new_event_loop()
loop.run_until_complete(main())
print('returned')
loop.run_until_complete(asyncio.sleep(0))
print('second run returned')
loop.close()
