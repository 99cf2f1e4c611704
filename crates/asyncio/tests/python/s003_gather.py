# Seed 003, asyncio03.py: gather does the create-and-await of asyncio02.py in one call and
# returns the list of results. (return after the loop: see s003_create_then_await)
# Sleeps: 1 s -> 0.01 s.
import asyncio

async def msg(s):
    for i in range(3):
        print(s)
        await asyncio.sleep(0.01)
    return s

async def exe():
    g = await asyncio.gather(
        msg('コルーチン1'),
        msg('コルーチン2'),
        msg('コルーチン3')
    )
    print(g)

asyncio.run(exe())
