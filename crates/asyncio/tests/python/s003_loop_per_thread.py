# Seed 003, asyncio04.py: two threads, each running its own new_event_loop at the same time.
# Lines are printed through a turnstile (A then B each round) so the output is deterministic;
# see turnstile.py. (return after the loop: see s003_create_then_await) Sleeps: 1 s -> 0.01 s.
import asyncio
import threading
from turnstile import Turnstile

turns = Turnstile()

async def msg(s, first_turn):
    for i in range(2):
        turns.print_in_turn(first_turn + 2 * i, s)
        await asyncio.sleep(0.01)
    return s

def startLoop(eloop, rn, first_turn):
    eloop.run_until_complete(msg(rn, first_turn))

eloopA = asyncio.new_event_loop()
eloopB = asyncio.new_event_loop()

tA = threading.Thread(target=startLoop, args=(eloopA, 'コルーチン：スレッドA', 0))
tB = threading.Thread(target=startLoop, args=(eloopB, 'コルーチン：スレッドB', 1))
tA.start(); tB.start()
tA.join(); tB.join()
