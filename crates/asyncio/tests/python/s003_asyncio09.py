# Seed 003, asyncio09.py: tasks added to a loop that runs forever; ainput's `end` stops it.
# Sleeps 1 s / 0.5 s / 3 s -> 0.1 / 0.05 / 0.35 s: the seed's 3 s starts asyncInput exactly
# when the second msg ends, a tie piped input would lose (the loop stopped before msg's last
# sleep is over: "Task was destroyed but it is pending!"). The listing prints `return s` inside the
# loop of msg, but its comment ("output the message 3 times") and its output show three
# prints: ported as three. Driven by ../input/s003_asyncio09.txt, piped (see
# s003_asyncio08.py); the input is only asked for after the msg tasks are done.
import asyncio
import aioconsole

async def msg(n, s):
    for i in range(3):
        print('\t'*n + s)
        await asyncio.sleep(0.1)
    return s

async def asyncInput():
    while True:
        r = await aioconsole.ainput('endで終了> ')
        if r == 'end':
            asyncio.get_running_loop().stop()
            print('終了します.')
            break
        else:
            print(' 入力値:', r)

async def theFirst():
    asyncio.create_task(msg(0, 'タスク1'))
    await asyncio.sleep(0.05)
    asyncio.create_task(msg(1, 'タスク2'))
    await asyncio.sleep(0.35)
    asyncio.create_task(asyncInput())

eloop = asyncio.new_event_loop()
asyncio.set_event_loop(eloop)

eloop.create_task(theFirst())
eloop.run_forever()

eloop.close()
