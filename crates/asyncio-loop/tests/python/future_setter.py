# A loop's future set from another thread with call_soon_threadsafe(fut.set_result, x):
# the result is set in order among the other callbacks that thread handed over, and the
# task awaiting it resumes the iteration after. Expected trace of
# tests/bridge.rs::a_future_set_from_another_thread_keeps_asyncios_order.
import asyncio
import threading

loop = asyncio.new_event_loop()
fut = loop.create_future()

def ticker(n):
    print(f'iter {n}')
    if n < 4:
        loop.call_soon(ticker, n + 1)

async def waiter():
    print('waiter got', await fut)

task = loop.create_task(waiter())
loop.stop(); loop.run_forever()  # the waiter waits

def other_thread():
    loop.call_soon_threadsafe(ticker, 1)
    loop.call_soon_threadsafe(print, 'A')
    loop.call_soon_threadsafe(fut.set_result, 'x')
    loop.call_soon_threadsafe(print, 'B')

thread = threading.Thread(target=other_thread)
thread.start()
thread.join()
loop.run_until_complete(task)
print('done')
loop.close()
