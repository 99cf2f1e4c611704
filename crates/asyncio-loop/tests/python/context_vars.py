# Context variables under asyncio: which context each task step and callback runs in.
# Expected trace of tests/contextvars.rs (one function per section below).
import asyncio
import contextvars
import re

request = contextvars.ContextVar('request')
depth = contextvars.ContextVar('depth', default=0)


def norm(message):
    # Rust's messages carry no addresses, nor the default's repr.
    return re.sub(r" (at 0x[0-9a-f]+|default=[^ >]+)", "", message)


def show(where):
    print(f"{where}: request={request.get('unset')} depth={depth.get()}")


async def task_sees_a_copy_of_its_creators_context():
    print('-- task_sees_a_copy_of_its_creators_context')
    request.set('r1')

    async def child(name):
        show(f'{name} start')
        request.set(name)
        depth.set(depth.get() + 1)
        await asyncio.sleep(0)
        show(f'{name} after sleep')

    a = asyncio.create_task(child('a'))
    request.set('r2')  # after create_task: `a` does not see it
    b = asyncio.create_task(child('b'))
    await a
    await b
    show('parent')


async def callbacks_see_the_scheduling_context():
    print('-- callbacks_see_the_scheduling_context')
    loop = asyncio.get_running_loop()

    def set_and_show(value):
        show(f'{value} before')
        request.set(value)
        show(f'{value} after')

    # Scheduled from an empty context: each sets in a copy of its own.
    loop.call_soon(set_and_show, 'first')
    loop.call_soon(set_and_show, 'second')
    await asyncio.sleep(0)
    show('parent')
    request.set('soon')
    loop.call_soon(show, 'call_soon')
    request.set('later')
    loop.call_later(0.001, show, 'call_later')
    request.set('changer')

    def changer():
        request.set('changed in callback')
        show('changer')

    loop.call_soon(changer)
    request.set('parent')
    await asyncio.sleep(0.01)
    show('parent')


async def an_explicit_context_keeps_what_its_users_set():
    print('-- an_explicit_context_keeps_what_its_users_set')
    loop = asyncio.get_running_loop()
    ctx = contextvars.Context()

    def set_in(value):
        request.set(value)
        show(f'callback {value}')

    loop.call_soon(set_in, 'first', context=ctx)
    loop.call_soon(show, 'second', context=ctx)
    await asyncio.sleep(0)

    async def child():
        show('child')
        request.set('child')
        try:
            ctx.run(show, 'entered again')
        except RuntimeError as e:
            print(type(e).__name__, norm(str(e)))

    await asyncio.create_task(child(), context=ctx)
    print('ctx holds', ctx[request])
    show('parent')


async def context_run_nests_inside_a_task():
    print('-- context_run_nests_inside_a_task')
    request.set('task')
    outer = contextvars.copy_context()

    def inner():
        show('inner')
        request.set('inner')
        show('inner after set')

    def middle():
        show('middle')
        request.set('middle')
        contextvars.copy_context().run(inner)
        show('middle after inner')
        try:
            outer.run(show, 'again')
        except RuntimeError as e:
            print(type(e).__name__, norm(str(e)))

    outer.run(middle)
    show('task')
    print('outer holds', outer[request])


async def done_callbacks_see_the_context_they_were_added_in():
    print('-- done_callbacks_see_the_context_they_were_added_in')
    request.set('adder')

    async def child():
        request.set('child')

    task = asyncio.create_task(child())
    task.add_done_callback(lambda t: show('done callback'))
    request.set('after add')
    await task
    await asyncio.sleep(0)


async def tokens_belong_to_their_context():
    print('-- tokens_belong_to_their_context')
    token = request.set('parent')

    async def child():
        try:
            request.reset(token)
        except ValueError as e:
            print(type(e).__name__, norm(str(e)))
        own = request.set('child')
        request.reset(own)
        show('child after reset')
        try:
            request.reset(own)
        except RuntimeError as e:
            print(type(e).__name__, norm(str(e)))

    await asyncio.create_task(child())
    request.reset(token)
    show('parent after reset')


async def main():
    for case in [
        task_sees_a_copy_of_its_creators_context,
        callbacks_see_the_scheduling_context,
        an_explicit_context_keeps_what_its_users_set,
        context_run_nests_inside_a_task,
        done_callbacks_see_the_context_they_were_added_in,
        tokens_belong_to_their_context,
    ]:
        # Each case in a copy of main's context, which stays empty.
        await asyncio.create_task(case())

asyncio.run(main())
show('outside')
