# Context variables through the facade: to_thread carries a copy of its caller's context,
# gather's and TaskGroup's children run in copies, a Runner keeps one context for its runs.
# Expected trace of tests/contextvars.rs::context_vars_through_the_facade.
import asyncio
import contextvars

request = contextvars.ContextVar('request')


def show(where):
    print(f"{where}: request={request.get('unset')}")


def blocking(name):
    show(f'{name} in thread')
    request.set(f'{name} set in thread')
    show(f'{name} in thread after set')
    return name


async def child(name):
    show(name)
    request.set(name)
    await asyncio.sleep(0)
    show(f'{name} after sleep')


async def first_run():
    show('first run')
    request.set('caller')
    await asyncio.to_thread(blocking, 'job')
    show('after to_thread')
    await asyncio.gather(child('g1'), child('g2'))
    async with asyncio.TaskGroup() as group:
        group.create_task(child('t1'))
    show('after children')


async def second_run():
    show('second run')


with asyncio.Runner() as runner:
    runner.run(first_run())
    runner.run(second_run())
asyncio.run(second_run())
show('outside')
