# Timers fire in exact deadline order, even 0.3 ms apart and set in the other order.
# Expected trace of tests/ordering.rs::timers_fire_in_deadline_order_below_a_millisecond.
import asyncio

async def nap(name, delay):
    await asyncio.sleep(delay)
    print(name)

async def main():
    loop = asyncio.get_running_loop()
    now = loop.time()
    loop.call_at(now + 0.0105, print, 'later')
    loop.call_at(now + 0.0102, print, 'sooner')
    loop.call_at(now + 0.0102, print, 'sooner, set second')
    await asyncio.sleep(0.02)

asyncio.run(main())
