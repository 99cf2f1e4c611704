# Seed 003, asyncio05.py: two blocking functions on a ThreadPoolExecutor(max_workers=2),
# awaited through tasks with gather. The two threads print through a turnstile (1, 2, 1, 2...)
# so the output is deterministic (see turnstile.py). Sleeps: 1 s -> 0.01 s.
import asyncio, time
from concurrent import futures
from turnstile import Turnstile

turns = Turnstile()

def normalf(s, first_turn):
    for i in range(3):
        turns.print_in_turn(first_turn + 2 * i, s)
        time.sleep(0.01)
    return s

async def fut2cor(f):
    c = await f
    return c

e = futures.ThreadPoolExecutor(max_workers=2)

async def exe():
    eLoop = asyncio.get_running_loop()
    f1 = eLoop.run_in_executor(e, normalf, '通常の関数1', 0)
    f2 = eLoop.run_in_executor(e, normalf, '通常の関数2', 1)
    t1 = asyncio.create_task(fut2cor(f1))
    t2 = asyncio.create_task(fut2cor(f2))
    r = await asyncio.gather(t1, t2)
    print(r)
    e.shutdown()

asyncio.run(exe())
