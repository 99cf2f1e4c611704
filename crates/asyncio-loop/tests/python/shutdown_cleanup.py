# asyncio.run's shutdown cancels the tasks still pending and runs the loop until their
# cleanup (which may await) is over; one that fails meanwhile is reported as "unhandled
# exception during asyncio.run() shutdown". Expected trace of
# tests/catch.rs::shutdown_waits_for_cleanup_and_reports_failures. Which task is cancelled
# first follows the order of a set in CPython: the test compares the two 'caught' lines
# as a set.
import asyncio

async def polite(name):
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print(name, 'caught')
        await asyncio.sleep(0)
        print(name, 'cleanup done')
        raise

async def rude():
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        print('rude caught')
        await asyncio.sleep(0)
        raise RuntimeError('failed in cleanup')

def handler(loop, context):
    print('handler:', context['message'], '|', repr(context.get('exception')))

async def main():
    asyncio.get_running_loop().set_exception_handler(handler)
    asyncio.create_task(polite('a'))
    asyncio.create_task(rude())
    await asyncio.sleep(0)
    print('main returns')

asyncio.run(main())
print('closed')
