# Seed 003, asyncio02.py: create three tasks, then await them: they run concurrently.
# The book's listing puts `return s` inside the loop (an extraction artefact: its output shows
# three lines per task); the return is after the loop here. Sleeps: 1 s -> 0.01 s.
import asyncio

async def msg(s):
    for i in range(3):
        print(s)
        await asyncio.sleep(0.01)
    return s

async def exe():
    t1 = asyncio.create_task(msg('コルーチン1'))
    t2 = asyncio.create_task(msg('コルーチン2'))
    t3 = asyncio.create_task(msg('コルーチン3'))
    await t1; await t2; await t3

asyncio.run(exe())
