# Seed 003, asyncio06.py: a blocking function on a one-thread executor and a coroutine run
# side by side. The thread and the loop print through a turnstile (thread, coroutine, ...) so
# the output is deterministic (see turnstile.py). Sleeps: 1 s -> 0.01 s.
import asyncio, time
from concurrent import futures
from turnstile import Turnstile

turns = Turnstile()

def normalf(s):
    for i in range(3):
        turns.print_in_turn(2 * i, s)
        time.sleep(0.01)
    return s

async def coroutine(s):
    for i in range(3):
        turns.print_in_turn(2 * i + 1, s)
        await asyncio.sleep(0.01)
    return s

async def fut2cor(f):
    c = await f
    return c

e = futures.ThreadPoolExecutor(max_workers=1)

async def exe():
    eLoop = asyncio.get_running_loop()
    f = eLoop.run_in_executor(e, normalf, '通常関数')
    t1 = asyncio.create_task(fut2cor(f))
    t2 = asyncio.create_task(coroutine('コルーチン'))
    r = await asyncio.gather(t1, t2)
    print(r)
    e.shutdown()

asyncio.run(exe())
