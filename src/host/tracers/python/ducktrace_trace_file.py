"""Ducktrace's Python tracer: the trace file, left behind however the test process ends.

TRACE.json is the Recorder's snapshot, written when the program ends, when the step budget runs
out (the trace is written and the process ends with exit code 124), on SIGTERM (how the host says
its time limit is over: the trace is written, exit code 124), and when the program calls
os._exit. While the test runs, a thread writes what was recorded so far every second (marked
"partial"), so a process killed without warning still leaves its trace.
"""
import json
import os
import signal
import sys
import threading
import time

import ducktrace_entry

# Our own references to the builtins the writers use: a test that monkey-patches builtins must not
# keep the trace from being written (module globals are found before builtins).
from builtins import int, open  # noqa: A004

STOPPED_EXIT_CODE = 124
CHECKPOINT_SECONDS = 1.0
# Our own reference: the test may replace os._exit (we do, in keep_on_early_end).
_real_exit = os._exit


def warn(message):
    ducktrace_entry.warn("ducktrace tracer", message)


class TraceFile:
    """Writes `rec`'s trace to `out_path`: checkpoints while the test runs, the final trace once.
    `uninstall` switches the backend off before the final write."""

    def __init__(self, rec, out_path, uninstall):
        self.rec = rec
        self.out_path = out_path
        self.uninstall = uninstall
        self.lock = rec.lock
        # Why recording ended early ("steps", "signal"); None while it runs or when the program ended.
        self.stopped = None
        self.written = False
        self.exit_code = None
        self.pid = os.getpid()

    def _dump(self, data):
        tmp = "%s.%d.tmp" % (self.out_path, threading.get_ident())
        with open(tmp, "w", encoding="utf-8") as f:
            # json.dumps, not json.dump: only the one-shot form uses the C encoder (several times faster).
            f.write(json.dumps(data, ensure_ascii=False))
        os.replace(tmp, self.out_path)

    def write(self, stopped=None):
        """The final trace, once (a later stop or exit changes nothing)."""
        with self.lock:
            if self.written or os.getpid() != self.pid:
                return
            self.written = True
            self._dump(self.rec.snapshot(stopped, exit_code=self.exit_code))

    def checkpoint(self):
        """What was recorded so far, so that a process killed without warning leaves its trace."""
        with self.lock:
            if self.written or not self.rec.dirty or os.getpid() != self.pid:
                return
            self.rec.dirty = False
            self._dump(self.rec.snapshot(final=False, exit_code=self.exit_code))

    def stop(self, reason):
        """Ends the program from inside a callback, or from a thread on the host's signal: the
        trace so far is the result."""
        with self.lock:
            if self.stopped is None:
                self.stopped = reason
        try:
            self.uninstall()
        except Exception:
            pass
        try:
            self.write(reason)
        except Exception as e:
            warn("could not write the trace: %r" % (e,))
        try:
            if reason == "steps":
                why = "%d executed steps" % self.rec.executed_total
            elif reason == "signal":
                why = "Ducktrace asked it to stop (time limit)"
            else:
                why = "its time limit"
            sys.stderr.write("\nducktrace: stopped the program after %s (%d steps traced)\n" % (why, self.rec.executed_total))
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        _real_exit(STOPPED_EXIT_CODE)

    def on_exit(self, code):
        """The program calls os._exit while the test runs: write what it did before it goes."""
        if os.getpid() != self.pid:
            return  # a forked child (multiprocessing) leaving: the trace is the parent's
        with self.lock:
            if self.written:
                return
            try:
                self.exit_code = int(code)
            except Exception:
                self.exit_code = None
        try:
            self.uninstall()
        except Exception:
            pass
        try:
            self.write("exit")
        except Exception as e:
            warn("could not write the trace: %r" % (e,))

    def keep_on_early_end(self, checkpoint_seconds=CHECKPOINT_SECONDS):
        """However the test process ends, the trace of what ran is left behind:
        - os._exit (which skips every cleanup): the trace is written first, stoppedBy "exit";
        - SIGTERM, which is how Ducktrace's host says its time limit is over (one clock, the host's):
          the trace so far is written, stoppedBy "signal", and the process ends with 124;
        - killed without warning (SIGKILL, the machine's OOM killer): a thread writes what was
          recorded every `checkpoint_seconds` while it changes, marked "partial"."""
        os.environ["DUCKTRACE_TRACE_FILE"] = self.out_path

        def exit_with_trace(status):
            try:
                self.on_exit(status)
            except Exception:
                pass
            _real_exit(status)

        os._exit = exit_with_trace

        def on_sigterm(signum, frame):
            # Not here: the main thread may be inside a recorder callback. A thread takes the lock
            # once the callback is done, writes, and ends the process.
            t = threading.Thread(target=self.stop, args=("signal",), name="ducktrace-stop", daemon=True)
            t.start()

        try:
            signal.signal(signal.SIGTERM, on_sigterm)
        except Exception:
            pass  # not the main thread, or no SIGTERM (Windows): the checkpoints remain

        def keep_writing():
            while True:
                time.sleep(checkpoint_seconds)
                try:
                    self.checkpoint()
                except Exception as e:
                    warn("could not write the trace so far: %r" % (e,))
                    return

        threading.Thread(target=keep_writing, name="ducktrace-checkpoint", daemon=True).start()
