# Seed 003, asyncio04-2.py: the same with asyncio.run in each thread (it makes the loop).
# (turnstile: see s003_loop_per_thread) Sleeps: 1 s -> 0.01 s.
import asyncio
import threading
from turnstile import Turnstile

turns = Turnstile()

async def msg(s, first_turn):
    for i in range(2):
        turns.print_in_turn(first_turn + 2 * i, s)
        await asyncio.sleep(0.01)
    return s

def startLoop(rn, first_turn):
    asyncio.run(msg(rn, first_turn))

tA = threading.Thread(target=startLoop, args=('コルーチン：スレッドA', 0))
tB = threading.Thread(target=startLoop, args=('コルーチン：スレッドB', 1))
tA.start(); tB.start()
tA.join(); tB.join()
