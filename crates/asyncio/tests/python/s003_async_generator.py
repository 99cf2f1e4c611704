# Seed 003, asyncio11.py: an async generator consumed with `async for` while another task
# runs. Sleeps: 1 s -> 0.01 s, 2 s -> 0.02 s. At 0.02 s and 0.04 s both tasks' timers are due
# together (CPython's poll wakes at a whole millisecond, so both fire in one iteration); the
# Rust port sleeps until deadlines counted from one start so those ties are exact.
import asyncio

async def msg():
    for x in range(4):
        await asyncio.sleep(0.01)
        print('タスク1')

async def aGen():
    for x in ['a', 'b']:
        await asyncio.sleep(0.02)
        yield x

async def exe():
    asyncio.create_task(msg())
    async for x in aGen():
        print('\t非同期に値を取得:', x)

asyncio.run(exe())
