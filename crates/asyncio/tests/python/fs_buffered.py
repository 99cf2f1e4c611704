"""What CPython 3.11's buffered files do for the steps of tests/fs.rs
(`seek_and_tell_see_buffered_data`, the error messages): run it, the trace is pasted there."""
import os
import tempfile

d = tempfile.mkdtemp()
p = os.path.join(d, "f.bin")
with open(p, "w+b") as f:
    f.write(b"hello world")
    print("tell", f.tell())
    print("seek 6 ->", f.seek(6))
    f.write(b"WORLD")
    print("tell", f.tell())
    print("seek 0 ->", f.seek(0))
    print("read", f.read(5), "tell", f.tell())
    print("seek cur+1 ->", f.seek(1, 1))
    print("rest", f.read())
    print("seek end-5 ->", f.seek(-5, 2))
r = os.path.join(d, "r.bin")
with open(r, "wb") as f:
    f.write(b"abcdef")
with open(r, "r+b") as f:
    f.read(2)
    f.write(b"XY")
    print("r+b tell", f.tell())
with open(r, "rb") as f:
    print("r+b gives", f.read())
a = os.path.join(d, "a.txt")
with open(a, "w") as f:
    f.write("abc")
with open(a, "a") as f:
    print("a tell", f.tell())
    f.write("de")
    print("a tell", f.tell())
with open(a) as f:
    print("a gives", f.read())
for path, mode in [("/nonexist/x", "r"), ("/tmp", "r"), ("/proc/sys/kernel/osrelease", "w"), (a, "x")]:
    try:
        open(path, mode)
    except OSError as e:
        print(type(e).__name__, str(e).replace(d, "DIR"))
try:
    os.rename("/nonexist/a", "/nonexist/b")
except OSError as e:
    print(type(e).__name__, e)
f = open(a)
f.close()
try:
    f.read()
except ValueError as e:
    print(type(e).__name__, e)
for mode, op in [("r", lambda f: f.write("x")), ("ab", lambda f: f.read(1))]:
    with open(a, mode) as f:
        try:
            op(f)
        except OSError as e:
            print(type(e).__name__, e)
