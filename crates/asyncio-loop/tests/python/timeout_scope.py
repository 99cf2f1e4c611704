# asyncio.timeout() as an object: when(), reschedule() from inside, expired().
# Expected trace of tests/timers.rs::a_timeout_scope_is_asyncios_timeout_object.
import asyncio

async def main():
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(None) as cm:
        print('no deadline', cm.when())
        await asyncio.sleep(0.001)
    print('expired', cm.expired())
    try:
        async with asyncio.timeout(3600) as cm:
            print('far deadline', cm.when() > loop.time() + 3000)
            cm.reschedule(loop.time() + 0.005)
            await asyncio.sleep(3600)
    except TimeoutError:
        print('TimeoutError expired', cm.expired())
    try:
        cm.reschedule(None)
    except RuntimeError as e:
        print(e)
    async with asyncio.timeout(0.005) as cm:
        cm.reschedule(None)
        await asyncio.sleep(0.02)
    print('rescheduled to never: expired', cm.expired())

asyncio.run(main())
