# Seed 003, asyncio01.py: three asyncio.run calls one after the other: no concurrency.
import asyncio

async def msg(s):
    for i in range(3):
        print(s)
    return s

r1 = asyncio.run(msg('コルーチン1'))
r2 = asyncio.run(msg('コルーチン2'))
r3 = asyncio.run(msg('コルーチン3'))

print('---\n', r1, r2, r3)
