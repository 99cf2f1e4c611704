# Seed 003, asyncio10.py: `new` adds a task to the running loop, `show` lists the pending
# tasks by name, `end` cancels them all and stops the loop. Driven by
# ../input/s003_asyncio10.txt, piped (see s003_asyncio08.py).
# Two changes for a deterministic output: all_tasks() is a set, printed here sorted by task
# number (the seed prints it in the set's order); and stdin, stdout and stderr must be pipes
# (gen_expected.sh makes them so), where aioconsole reads and writes through pipe transports.
# Otherwise (a file, or Windows' console, as in the seed) it writes each prompt through a
# task of its own, and the task numbers shift: the seed's Task-5 and Task-8 are that.
import asyncio
import aioconsole

async def tsk():
    while True: await asyncio.sleep(1)

def by_number(t):
    return int(t.get_name().split('-')[1])

async def asyncInput():
    el = asyncio.get_running_loop()
    while True:
        r = await aioconsole.ainput('endで終了> ')
        if r == 'end':
            for t in sorted(asyncio.all_tasks(el), key=by_number):
                t.cancel()
                try:
                    await t
                except asyncio.CancelledError:
                    pass
            asyncio.get_running_loop().stop()
            print('終了します.')
            break
        elif r == 'show':
            print('実行中>\t', end='')
            for t in sorted(asyncio.all_tasks(el), key=by_number):
                print(t.get_name(), sep='', end='\t')
            print()
        elif r == 'new':
            asyncio.create_task(tsk())
        else:
            print(' 入力値:', r)

async def theFirst():
    asyncio.create_task(asyncInput())

eloop = asyncio.new_event_loop()

eloop.create_task(theFirst())
eloop.run_forever()

eloop.close()
