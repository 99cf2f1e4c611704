# Where an awaiter's wake-up stands among a task's done callbacks: awaiting adds it as a
# done callback at that moment. Expected orders of tests/wakers.rs::done_order.
import asyncio

def done_order(early, late):
    log = []

    async def t():
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    async def main():
        task = asyncio.create_task(t())
        if early:
            task.add_done_callback(lambda _: log.append('early callback'))

        async def awaiter():
            await task
            log.append('awaiter resumed')

        waiter = asyncio.create_task(awaiter())
        await asyncio.sleep(0)
        if late:
            task.add_done_callback(lambda _: log.append('late callback'))
        await waiter

    asyncio.run(main())
    return log

for early, late in [(True, True), (False, True), (True, False), (False, False)]:
    print(early, late, done_order(early, late))
