# call_soon_threadsafe made on the loop's own thread while the loop runs: the callback
# joins the one ready queue in order with call_soon (asyncio appends to `_ready` for both).
# Expected trace of tests/ordering.rs::call_soon_threadsafe_on_the_loops_thread_keeps_fifo_order.
import asyncio

loop = asyncio.new_event_loop()

def first():
    print('first')
    loop.call_soon(print, 'soon 1')
    loop.call_soon_threadsafe(print, 'threadsafe')
    loop.call_soon(print, 'soon 2')

async def task():
    print('task step 1')
    loop.call_soon_threadsafe(print, 'threadsafe from the task')
    await asyncio.sleep(0)
    print('task step 2')

loop.call_soon(first)
loop.run_until_complete(task())
loop.close()
