# Context variables around a loop's run and across threads: the main task's context, a
# loop run inside Context.run, callbacks and coroutines handed over from another thread.
# Expected trace of tests/contextvars.rs::runs_and_threads.
import asyncio
import contextvars
import re
import threading

request = contextvars.ContextVar('request')


def norm(message):
    # Rust's messages carry no addresses.
    return re.sub(r" at 0x[0-9a-f]+", "", message)


def show(where):
    print(f"{where}: request={request.get('unset')}")


def handler(loop, context):
    exc = context['exception']
    print('handler:', type(exc).__name__, norm(str(exc)))


def run_inside(ctx):
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(handler)

    async def main():
        show('main')
        request.set('main')
        # `ctx` is entered around the run: it cannot be entered for this callback.
        loop.call_soon(show, 'never', context=ctx)
        await asyncio.sleep(0)

        def other_thread():
            request.set('thread')
            loop.call_soon_threadsafe(show, 'threadsafe callback')

            async def handed_over():
                show('handed-over coroutine')
                request.set('set in handed-over')
            handed.append(asyncio.run_coroutine_threadsafe(handed_over(), loop))
            show('thread after')
        handed = []
        # The thread waits for nothing of the loop's: joining it here is quick.
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        await asyncio.wrap_future(handed[0])
        show('main after thread')

    loop.run_until_complete(main())
    show('after run')
    loop.close()


ctx = contextvars.Context()
ctx.run(request.set, 'outer')
ctx.run(run_inside, ctx)
print('ctx holds', ctx[request])
show('outside')
