# Seed 002, program 1: call_soon a function that stops the loop; run_forever returns.
import asyncio

loop = asyncio.new_event_loop()

def func(loop):
    loop.stop()

loop.call_soon(func, loop)
loop.run_forever()
print('done')
loop.close()
