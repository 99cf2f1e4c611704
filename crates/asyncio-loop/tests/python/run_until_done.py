# run_until_complete(fut) adds its stop callback to `fut` itself when `fut` is a future
# (a Task or a Future): already done, the callback runs in the first iteration; pending, in
# the iteration after `fut` completes. A coroutine is wrapped in a task first, one
# iteration more. Expected trace of tests/ordering.rs::run_until_complete_of_a_future.
import asyncio

def ticker(loop, n):
    print(f'iter {n}')
    if n < 5:
        loop.call_soon(ticker, loop, n + 1)

def case(name, make):
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    fut = make(loop)
    print(name)
    loop.call_soon(ticker, loop, 1)
    print('->', loop.run_until_complete(fut))
    loop.close()

async def quick():
    return 'quick'

async def one_yield():
    await asyncio.sleep(0)
    return 'yielded'

def done_future(loop):
    fut = loop.create_future()
    fut.set_result('set')
    return fut

def done_task(loop):
    task = loop.create_task(quick())
    loop.run_until_complete(task)
    return task

def future_set_by_a_callback(loop):
    fut = loop.create_future()
    loop.call_soon(fut.set_result, 'set soon')
    return fut

case('a done Future', done_future)
case('a done Task', done_task)
case('a coroutine that returns at once', lambda loop: quick())
case('a pending Task', lambda loop: loop.create_task(one_yield()))
case('a Future set in the first iteration', future_set_by_a_callback)
