"""Ducktrace's call census: which functions of the workspace ran while a test ran, how often, and
which ran last. It helps pick the function to debug when the failing test's stack names none.

    python -m ducktrace_calls --roots ROOT[:ROOT...] --out CALLS.json -- pytest ARGS...

One pytest run, in this process; only the test run is watched (not collection, not imports).
CALLS.json: {"functions": [{"file", "line", "name", "calls", "last"}], "order": N} where `line`
is the code object's first line (a decorated function's first decorator), `name` its qualified
name, and `last` the order of its last call among all calls counted (larger is later). Files
under site-packages, dist-packages and virtual environments are left out, so are Ducktrace's own.
Python 3.12+ uses sys.monitoring's PY_START (code outside the roots is switched off after its
first call); older versions sys.setprofile. No values are read; the test's outcome is its own.
The file is written at the end, on SIGTERM (the host's time limit) and on os._exit.
"""
import json
import os
import signal
import sys
import threading

import ducktrace_entry

_real_exit = os._exit
_FOREIGN = ("site-packages", "dist-packages", "/.venv/", "/venv/", "/.tox/", "/node_modules/")


class Census:
    def __init__(self, roots, out_path):
        self.roots = [os.path.realpath(r) for r in roots if r]
        self.out_path = out_path
        self.own_dir = os.path.dirname(os.path.realpath(__file__))
        self.known = {}  # code -> [file, line, name, calls, last] or None
        self.order = 0
        self.lock = threading.Lock()
        self.written = False
        self.pid = os.getpid()

    def entry(self, code):
        """The record of a code object, or None when it is not the workspace's."""
        try:
            entry = self.known.get(code, False)
        except Exception:
            return None
        if entry is not False:
            return entry
        entry = None
        try:
            filename = code.co_filename
            if filename and not filename.startswith("<"):
                real = os.path.realpath(filename)
                inside = any(real == r or real.startswith(r + os.sep) for r in self.roots)
                if inside and not any(f in real for f in _FOREIGN) and os.path.dirname(real) != self.own_dir:
                    entry = [real, code.co_firstlineno, getattr(code, "co_qualname", code.co_name), 0, 0]
        except Exception:
            entry = None
        self.known[code] = entry
        return entry

    def called(self, code):
        entry = self.entry(code)
        if entry is None:
            return False
        self.order += 1
        entry[3] += 1
        entry[4] = self.order
        return True

    def write(self):
        with self.lock:
            if self.written or os.getpid() != self.pid:
                return
            self.written = True
            functions = [{"file": e[0], "line": e[1], "name": e[2], "calls": e[3], "last": e[4]}
                         for e in list(self.known.values()) if e is not None and e[3] > 0]
            tmp = self.out_path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(json.dumps({"functions": functions, "order": self.order}))
            os.replace(tmp, self.out_path)


_backend = ducktrace_entry.Backend("ducktrace-calls")


def install(census):
    def monitoring(tool):
        mon = sys.monitoring
        DISABLE = mon.DISABLE

        def on_start(code, offset):
            try:
                if census.called(code):
                    return None
            except Exception:
                pass
            return DISABLE

        return {mon.events.PY_START: on_start}, mon.events.PY_START, ()

    def setprofile():
        def profile(frame, event, arg):
            if event == "call":
                try:
                    census.called(frame.f_code)
                except Exception:
                    pass

        sys.setprofile(profile)
        threading.setprofile(profile)

        def uninstall_profile():
            sys.setprofile(None)
            threading.setprofile(None)

        return uninstall_profile, "setprofile"

    return _backend.install(monitoring, setprofile)


def uninstall():
    try:
        _backend.uninstall()
    except Exception:
        pass


def main(args):
    opts, command = ducktrace_entry.split_command_line(args, __doc__)
    census = Census(opts.get("roots", "").split(os.pathsep), opts["out"])

    def exit_with_census(status):
        uninstall()
        try:
            census.write()
        except Exception:
            pass
        _real_exit(status)

    os._exit = exit_with_census

    def on_sigterm(signum, frame):
        exit_with_census(124)

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except Exception:
        pass

    if not command or command[0] != "pytest":
        raise SystemExit("ducktrace calls: only `-- pytest ARGS` is supported")
    import pytest

    class _WatchTestsOnly:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtestloop(self, session):
            install(census)
            try:
                yield
            finally:
                uninstall()

    sys.argv = ["pytest"] + command[1:]
    code = 1
    try:
        code = int(pytest.main(command[1:], plugins=[_WatchTestsOnly()]))
    finally:
        uninstall()
        try:
            census.write()
        except Exception as e:
            sys.stderr.write("ducktrace calls: could not write %s: %r\n" % (census.out_path, e))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
