"""Ducktrace's coverage mode: which lines of one function each test executed (block spectra).

    python -m ducktrace_spectra --plan PLAN.json --out SPECTRA.jsonl [--test-timeout S] [--max-lines N] -- pytest ARGS...

One pytest run, in this process. PLAN.json is a TracePlan (src/core/trace/tracePlan.ts); only its
file, name and firstLine are read. SPECTRA.jsonl gets one JSON object per test as soon as the test
ends (so a killed run keeps what it finished):

    {"test": NODEID, "outcome": "passed"|"failed"|"skipped", "lines": {LINE: [COUNT, LAST]},
     "raisedLine": N|null, "lastLine": N|null, "timedOut": bool, "message": STR}

LAST orders the lines by when they last ran within the test (a per-test counter). raisedLine is
the target's innermost frame in the failure's traceback; lastLine is the last target line that ran.
No values are recorded. Python 3.12+ uses sys.monitoring with LINE events on the target's code
objects only; older versions sys.settrace. Every callback is guarded: tracing must never fail a test.
A test that runs more than --max-lines lines of the target (default 1,000,000) fails with
DucktraceTimeout at that line: where an endless loop is cut does not depend on the machine's speed,
so its spectrum (and the ranking) is the same on every run.
A test that runs past --test-timeout fails with DucktraceTimeout (raised again every half second,
and a BaseException, so `except Exception` in the code under test cannot swallow it).
"""
import json
import os
import signal
import sys
import threading

import ducktrace_entry


class DucktraceTimeout(BaseException):
    pass


class Spectra:
    def __init__(self, plan, out_path, test_timeout, max_lines=1000000):
        self.file = os.path.realpath(plan["file"])
        self._matches = ducktrace_entry.target_matcher(plan)
        # No out_path: lines are counted (the --max-lines bound) but no record is written (ducktrace_mutants).
        self.out = open(out_path, "w", encoding="utf-8") if out_path else None
        self.test_timeout = test_timeout
        self.max_lines = max_lines
        self.lines = {}
        self.seq = 0
        self.last_line = None
        self.test = None
        self.record = None
        self.known = {}  # code -> is target
        self.targets = set()
        self.armed = False
        self.ensure = lambda: None

    def is_target(self, code):
        known = self.known.get(code)
        if known is not None:
            return known
        try:
            result = self._matches(code)
        except Exception:
            result = False
        self.known[code] = result
        if result:
            self.targets.add(code)
        return result

    def hit(self, line):
        self.seq += 1
        if self.seq > self.max_lines > 0 and self.record is not None:
            # A BaseException: `except Exception` in the code under test cannot swallow it.
            raise DucktraceTimeout("test ran more than %d lines of the target (ducktrace --max-lines)" % self.max_lines)
        entry = self.lines.get(line)
        if entry is None:
            self.lines[line] = [1, self.seq]
        else:
            entry[0] += 1
            entry[1] = self.seq
        self.last_line = line

    # -- per test
    def begin(self, nodeid):
        self.ensure()
        self.test = nodeid
        self.lines = {}
        self.seq = 0
        self.last_line = None
        self.record = {"test": nodeid, "outcome": "passed", "raisedLine": None, "timedOut": False, "message": ""}

    def end(self):
        rec = self.record
        if rec is None:
            return
        self.record = None
        if self.out is None:
            return
        rec["lines"] = {str(k): v for k, v in sorted(self.lines.items())}
        rec["lastLine"] = self.last_line
        self.out.write(json.dumps(rec) + "\n")
        self.out.flush()

    def report(self, report):
        rec = self.record
        if rec is None:
            return
        if report.failed:
            rec["outcome"] = "failed"
        elif report.skipped and rec["outcome"] == "passed" and report.when in ("setup", "call"):
            rec["outcome"] = "skipped"

    def failure(self, excinfo):
        rec = self.record
        if rec is None or excinfo is None:
            return
        try:
            rec["timedOut"] = excinfo.type is DucktraceTimeout
            rec["message"] = ("%s: %s" % (excinfo.type.__name__, excinfo.value))[:300]
            tb = excinfo.tb
            while tb is not None:
                code = tb.tb_frame.f_code
                # The def line itself is a call that failed on entry (RecursionError): the caller's line says more.
                if code in self.targets and tb.tb_lineno != code.co_firstlineno:
                    rec["raisedLine"] = tb.tb_lineno
                tb = tb.tb_next
        except Exception:
            pass

    # -- per-test alarm
    def arm(self):
        if self.test_timeout <= 0 or threading.current_thread() is not threading.main_thread():
            return
        self.armed = True
        signal.signal(signal.SIGALRM, self._alarm)
        signal.setitimer(signal.ITIMER_REAL, self.test_timeout, 0.5)

    def disarm(self):
        if not self.armed:
            return
        self.armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)

    def _alarm(self, signum, frame):
        if self.armed:
            raise DucktraceTimeout("test exceeded %gs (ducktrace --test-timeout)" % self.test_timeout)


_backend = ducktrace_entry.Backend("ducktrace-spectra")


def _monitoring(sp):
    def callbacks_for(tool):
        mon = sys.monitoring
        E = mon.events
        DISABLE = mon.DISABLE
        hit = sp.hit

        def on_start(code, offset):
            try:
                if sp.is_target(code):
                    mon.set_local_events(tool, code, E.LINE)
            except Exception:
                pass
            return DISABLE  # once per code object: its LINE events (if any) are on from now

        def on_line(code, line):
            try:
                hit(line)
            except Exception:
                pass

        return {E.PY_START: on_start, E.LINE: on_line}, E.PY_START, sp.targets

    return callbacks_for


def _settrace(sp):
    hit = sp.hit

    def local_trace(frame, event, arg):
        if event == "line":
            try:
                hit(frame.f_lineno)
            except Exception:
                pass
        return local_trace

    def global_trace(frame, event, arg):
        try:
            if sp.is_target(frame.f_code):
                return local_trace
        except Exception:
            pass
        return None

    def install_settrace():
        uninstall_settrace, backend = ducktrace_entry.install_settrace(sp.file, sp.is_target, global_trace)
        if backend == "settrace":

            def ensure():
                # Python switches a tracer off when an error such as RecursionError hits it: the next test needs it back.
                if sys.gettrace() is not global_trace:
                    sys.settrace(global_trace)

            sp.ensure = ensure
        return uninstall_settrace, backend

    return install_settrace


def install(sp):
    return _backend.install(_monitoring(sp), _settrace(sp))


def uninstall():
    _backend.uninstall()


def main(args):
    opts, command = ducktrace_entry.split_command_line(args, __doc__)
    if not command or command[0] != "pytest":
        raise SystemExit("ducktrace spectra: only `-- pytest ARGS...` is supported")
    with open(opts["plan"], encoding="utf-8") as f:
        plan = json.load(f)
    sp = Spectra(plan, opts["out"], float(opts.get("test-timeout") or 0), int(opts.get("max-lines") or 1000000))
    import pytest

    class _Plugin:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtestloop(self, session):
            os.environ["DUCKTRACE_TRACER_ACTIVE"] = install(sp)
            try:
                yield
            finally:
                uninstall()

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_protocol(self, item, nextitem):
            sp.begin(item.nodeid)
            try:
                yield
            finally:
                sp.end()

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_call(self, item):
            sp.arm()
            try:
                yield
            finally:
                sp.disarm()

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item, call):
            if call.excinfo is not None and call.when == "call":
                sp.failure(call.excinfo)
            yield

        def pytest_runtest_logreport(self, report):
            sp.report(report)

    sys.argv = ["pytest"] + command[1:]
    try:
        code = int(pytest.main(command[1:], plugins=[_Plugin()]))
    finally:
        uninstall()
        sp.out.close()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
