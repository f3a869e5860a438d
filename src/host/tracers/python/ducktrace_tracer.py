"""Ducktrace's Python tracer: records one function's blocks and variables while a test runs.

    python -m ducktrace_tracer --plan PLAN.json --out TRACE.json -- pytest ARGS...
    python -m ducktrace_tracer --plan PLAN.json --out TRACE.json -- -m MODULE ARGS...
    python -m ducktrace_tracer --plan PLAN.json --out TRACE.json -- SCRIPT.py ARGS...

The test runs in this process (pytest.main, runpy), so its output and exit code are its own.
PLAN.json is Ducktrace's TracePlan (src/core/trace/tracePlan.ts): the target's file, name and
lines, line -> block id, the self fields it touches, and the budget. TRACE.json is a RawTrace
(src/core/trace/traceBudget.ts), written when the program ends, when the step budget runs out
(an endless loop: the trace is written and the process ends with exit code 124), on SIGTERM
(how the host says its time limit is over: the trace is written, exit code 124), and when the
program calls os._exit. While the test runs, a thread writes what was recorded so far every
second (marked "partial"), so a process killed without warning still leaves its trace.

Python 3.12+ uses sys.monitoring with local events on the target's code object only; older
versions use sys.settrace. Values are rendered without running user code: no __repr__, no
__getattr__, no properties; containers structurally, instances by their __dict__ and slots.
Every callback is guarded: an exception in here must never fail the user's test.

This file runs the test command; the tracer's parts are its siblings (on the same sys.path):
    ducktrace_tracer_backends.py  sys.monitoring or sys.settrace tells the Recorder what runs
    ducktrace_recorder.py         lines -> blocks, steps and calls within the budget, the snapshot
    ducktrace_values.py           values rendered without running user code
    ducktrace_trace_file.py       TRACE.json, however the process ends
    ducktrace_entry.py            what the tracer, its coverage mode and the call census share
"""
import json
import os
import sys

import ducktrace_entry
import ducktrace_tracer_backends as backends
from ducktrace_recorder import Recorder
from ducktrace_trace_file import CHECKPOINT_SECONDS, TraceFile, warn


def _run_command(argv, start_tracing):
    """Runs the test command in this process; tracing starts with the test run (`start_tracing`)."""
    import runpy
    if not argv:
        raise SystemExit("ducktrace tracer: nothing to run after --")
    if argv[0] == "pytest":
        import pytest

        class _TraceTestsOnly:
            """Traces the test run, not collection: imports of plugins and test modules go untraced."""

            @pytest.hookimpl(hookwrapper=True)
            def pytest_runtestloop(self, session):
                start_tracing()
                try:
                    yield
                finally:
                    backends.uninstall()

        sys.argv = ["pytest"] + argv[1:]
        return int(pytest.main(argv[1:], plugins=[_TraceTestsOnly()]))
    start_tracing()
    if argv[0] == "-m":
        sys.argv = [argv[1]] + argv[2:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return 0
    sys.argv = list(argv)
    sys.path.insert(0, os.path.dirname(os.path.abspath(argv[0])))
    runpy.run_path(argv[0], run_name="__main__")
    return 0


def main(args):
    opts, command = ducktrace_entry.split_command_line(args, __doc__)
    with open(opts["plan"], encoding="utf-8") as f:
        plan = json.load(f)
    rec = Recorder(plan)
    trace_file = TraceFile(rec, opts["out"], backends.uninstall)
    rec.on_steps_spent = lambda: trace_file.stop("steps")
    trace_file.keep_on_early_end(float(opts.get("checkpoint-seconds") or CHECKPOINT_SECONDS))

    def start_tracing():
        rec.backend = backends.install(rec)
        os.environ["DUCKTRACE_TRACER_ACTIVE"] = rec.backend

    code = 1
    try:
        code = _run_command(command, start_tracing)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, (int, type(None))):
            sys.stderr.write(str(e.code) + "\n")
    finally:
        try:
            backends.uninstall()
        except Exception:
            pass
        try:
            trace_file.write(trace_file.stopped)
        except Exception as e:
            warn("could not write the trace: %r" % (e,))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
