# A sleep's timer fires in iteration k (as a callback that completes its future); the
# sleeper's step runs in k+1, after what the same iteration's callbacks scheduled.
# Timers with equal deadlines fire in the order they were set.
# Expected trace of tests/ordering.rs::sleep_wakes_next_iteration.
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    when = loop.time() + 0.005
    def timer_cb():
        print('timer callback')
        loop.call_soon(print, 'soon from timer callback')
    loop.call_at(when, timer_cb)
    fut = loop.create_future()
    loop.call_at(when, fut.set_result, None)  # what asyncio.sleep does
    loop.call_at(when, print, 'second timer callback')
    await fut
    print('sleeper woke')

loop = asyncio.new_event_loop()
loop.run_until_complete(main())
loop.close()
