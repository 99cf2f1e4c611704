# Shared by the seed-003 thread programs: two threads print in a fixed order (turn 0, 1, 2...)
# so the output is deterministic while both keep running at the same time. Without it the
# order of two lines printed by two threads at the same moment is up to the OS scheduler.
import threading

class Turnstile:
    def __init__(self):
        self.turn = 0
        self.cond = threading.Condition()

    def print_in_turn(self, turn, *args):
        with self.cond:
            self.cond.wait_for(lambda: self.turn == turn)
            print(*args, flush=True)
            self.turn += 1
            self.cond.notify_all()
