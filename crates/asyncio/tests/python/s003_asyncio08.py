# Seed 003, asyncio08.py: aioconsole's ainput in one task while another prints every 4 s.
# Sleeps 4 s -> 0.2 s. Driven by ../input/s003_asyncio08.txt on stdin, piped: all of it is
# there at once, so each line is read as soon as it is asked for and the output does not
# depend on typing speed (a piped line is not echoed, so the prompt and the next print share
# a line). Needs aioconsole (`pip install aioconsole`); gen_expected.sh makes stdin, stdout
# and stderr pipes, as CI's examples step does (see s003_asyncio10.py for why it matters).
import asyncio
import aioconsole

async def msg(s):
    for i in range(3):
        print(s)
        await asyncio.sleep(0.2)
    return s

async def asyncInput():
    while True:
        r = await aioconsole.ainput('endで終了> ')
        print('入力値:', r)
        await asyncio.sleep(0.2)
        if r == 'end': break

async def exe():
    g = await asyncio.gather(
        msg('文字列表示'),
        asyncInput()
    )

asyncio.run(exe())
