# Seed 003, asyncio02-2.py: create a task and await it before creating the next: sequential.
# (return after the loop: see s003_create_then_await) Sleeps: 1 s -> 0.01 s.
import asyncio

async def msg(s):
    for i in range(3):
        print(s)
        await asyncio.sleep(0.01)
    return s

async def exe():
    t1 = asyncio.create_task(msg('コルーチン1')); await t1
    t2 = asyncio.create_task(msg('コルーチン2')); await t2
    t3 = asyncio.create_task(msg('コルーチン3')); await t3

asyncio.run(exe())
