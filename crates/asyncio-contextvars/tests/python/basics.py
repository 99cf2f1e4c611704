# contextvars without an event loop: get/set/reset, tokens, Context.run, copies, threads.
# Expected trace of tests/basics.rs (one function per section below).
import contextvars
import re
import threading

name = contextvars.ContextVar('name')
level = contextvars.ContextVar('level', default=0)


def norm(message):
    # Rust's messages carry no addresses, nor the default's repr.
    return re.sub(r" (at 0x[0-9a-f]+|default=[^ >]+)", "", message)


def show(where):
    print(f"{where}: name={name.get('unset')} level={level.get()}")


def get_set_reset():
    print('-- get_set_reset')
    try:
        name.get()
    except LookupError as e:
        print(type(e).__name__, norm(str(e)))
    print('get(default)', name.get('fallback'), level.get(5))
    first = name.set('a')
    print('old', first.old_value is contextvars.Token.MISSING)
    second = name.set('b')
    print('old', second.old_value)
    show('after two sets')
    name.reset(second)
    show('reset second')
    name.reset(first)
    show('reset first')


def token_errors():
    print('-- token_errors')
    token = name.set('x')
    name.reset(token)
    try:
        name.reset(token)
    except RuntimeError as e:
        print(type(e).__name__, norm(str(e)))
    other = contextvars.ContextVar('other')
    foreign = other.set('y')
    try:
        name.reset(foreign)
    except ValueError as e:
        print(type(e).__name__, norm(str(e)))
    elsewhere = contextvars.Context().run(name.set, 'z')
    try:
        name.reset(elsewhere)
    except ValueError as e:
        print(type(e).__name__, norm(str(e)))
    show('after refused resets')
    other.reset(foreign)


def run_nests_and_keeps():
    print('-- run_nests_and_keeps')
    name.set('thread')
    outer = contextvars.Context()

    def in_outer():
        show('outer')
        name.set('outer')
        inner = contextvars.copy_context()

        def in_inner():
            show('inner')
            level.set(2)
            show('inner after set')
        inner.run(in_inner)
        show('outer after inner')
        print('inner keeps level', inner[level], 'outer has level', level in outer)
        try:
            outer.run(show, 'twice')
        except RuntimeError as e:
            print(type(e).__name__, norm(str(e)))
    outer.run(in_outer)
    show('thread')
    print('outer holds', outer[name], len(outer))


def copies_are_independent():
    print('-- copies_are_independent')
    name.set('before copy')
    copy = contextvars.copy_context()
    name.set('after copy')
    print('copy', copy[name], 'current', name.get())
    copy.run(name.set, 'in copy')
    print('copy', copy[name], 'current', name.get())
    again = copy.copy()
    copy.run(name.set, 'changed')
    print('again', again[name], 'copy', copy[name])


def threads_start_empty_and_take_copies():
    print('-- threads_start_empty_and_take_copies')
    name.set('main thread')
    seen = []
    thread = threading.Thread(target=lambda: seen.append(name.get('unset')))
    thread.start()
    thread.join()
    print('new thread sees', seen[0])
    ctx = contextvars.copy_context()

    def job():
        seen.append(name.get('unset'))
        name.set('set in thread')
    thread = threading.Thread(target=ctx.run, args=(job,))
    thread.start()
    thread.join()
    print('copy in thread sees', seen[1], '; here', name.get())


get_set_reset()
token_errors()
run_nests_and_keeps()
copies_are_independent()
threads_start_empty_and_take_copies()
