# A host program between two loop steps completes a future a task awaits, then schedules
# a callback: the task's wake-up was queued first, so it runs first.
# Expected trace of tests/ordering.rs::a_wake_between_steps_keeps_fifo_order.
import asyncio

loop = asyncio.new_event_loop()
fut = loop.create_future()

async def waiter():
    await fut
    print('task resumed')

loop.create_task(waiter())
loop.stop(); loop.run_forever()
fut.set_result(None)
loop.call_soon(print, 'callback')
loop.stop(); loop.run_forever()
loop.stop(); loop.run_forever()
loop.close()
