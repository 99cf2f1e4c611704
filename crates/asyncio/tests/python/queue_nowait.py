# get_nowait() takes an item a woken getter was about to get, and put_nowait() room a woken
# putter was about to use; the woken waiter then waits again at the back of the line.
# Expected trace of tests/queue_order.rs::nowait_overtakes_woken_waiters_as_in_cpython.
import asyncio

async def main():
    q = asyncio.Queue()

    async def getter(name):
        print(f'{name} got {await q.get()}')

    g1 = asyncio.create_task(getter('g1'))
    g2 = asyncio.create_task(getter('g2'))
    await asyncio.sleep(0)  # both wait, g1 first
    q.put_nowait('a')  # wakes g1
    print('qsize', q.qsize())
    print('get_nowait', q.get_nowait())
    await asyncio.sleep(0)  # g1 finds the queue empty: back of the line, behind g2
    q.put_nowait('b')
    q.put_nowait('c')
    await asyncio.gather(g1, g2)

    q = asyncio.Queue(maxsize=1)
    q.put_nowait('x')

    async def putter(name, item):
        await q.put(item)
        print(f'{name} put {item}')

    p1 = asyncio.create_task(putter('p1', 'y'))
    p2 = asyncio.create_task(putter('p2', 'z'))
    await asyncio.sleep(0)  # both wait, p1 first
    print('get_nowait', q.get_nowait())  # wakes p1
    print('full', q.full())
    q.put_nowait('w')  # takes the slot p1 was woken for
    print('put_nowait w')
    await asyncio.sleep(0)  # p1 finds the queue full: back of the line, behind p2
    print('get_nowait', q.get_nowait())  # wakes p2
    await asyncio.sleep(0)
    print('get_nowait', q.get_nowait())  # wakes p1
    await asyncio.gather(p1, p2)
    print('get_nowait', q.get_nowait())

asyncio.run(main())
