"""Ducktrace's Python tracer: the two ways Python reports to the Recorder what the target does.

Python 3.12+ uses sys.monitoring: PY_START, PY_UNWIND and EXCEPTION_HANDLED everywhere (a code
object that is not the target is switched off after its first start), and local events (LINE,
PY_RETURN, PY_RESUME, PY_YIELD) on the target's code objects only. Older versions, and
DUCKTRACE_TRACER_BACKEND=settrace, use sys.settrace, through the entry trampoline of
ducktrace_entry.py where the target can be found. Every callback is guarded: an exception in here
must never fail the user's test.
"""
import dis
import sys

import ducktrace_entry

# Our own references to the builtins the callbacks use: a test that monkey-patches builtins.len or
# builtins.type must not switch tracing off (module globals are found before builtins).
from builtins import frozenset, list, set  # noqa: A004

# Our own reference: the test may replace dis.opname.
_opname = list(dis.opname)

_backend = ducktrace_entry.Backend("ducktrace")
_warned = [False]


def _guard_failed(e):
    if not _warned[0]:
        _warned[0] = True
        ducktrace_entry.warn("ducktrace tracer", "tracing error (the test continues untraced from here): %r" % (e,))


def _monitoring(rec):
    def callbacks_for(tool):
        mon = sys.monitoring
        E = mon.events
        targets = set()
        others = set()
        get_frame = sys._getframe
        DISABLE = mon.DISABLE
        local_events = E.LINE | E.PY_RETURN | E.PY_START | E.PY_RESUME | E.PY_YIELD

        def on_start(code, offset):
            try:
                if code in targets:
                    rec.on_call(get_frame(1))
                    return None
                if code not in others and rec.is_target(code):
                    targets.add(code)
                    mon.set_local_events(tool, code, local_events)
                    rec.on_call(get_frame(1))
                    return None
                others.add(code)
            except Exception as e:
                _guard_failed(e)
            return DISABLE

        def on_resume(code, offset):
            try:
                if code in targets:
                    rec.on_call(get_frame(1))
            except Exception as e:
                _guard_failed(e)

        def on_line(code, line):
            try:
                if code in targets:
                    rec.on_line(get_frame(1), line)
                    return None
            except Exception as e:
                _guard_failed(e)
            return None

        def on_return(code, offset, value):
            try:
                if code in targets:
                    rec.on_return(get_frame(1), value, raised=False)
            except Exception as e:
                _guard_failed(e)

        def on_yield(code, offset, value):
            return None  # a generator suspends: its call continues when it resumes

        def on_unwind(code, offset, exc):
            try:
                if code in targets:
                    rec.on_return(get_frame(1), None, exception=exc)
            except Exception as e:
                _guard_failed(e)

        def on_handled(code, offset, exc):
            # An exception reached a handler of this frame: its `except` clauses are tested next.
            try:
                if code in targets:
                    rec.on_exception(get_frame(1), exc)
            except Exception as e:
                _guard_failed(e)

        callbacks = {E.PY_START: on_start, E.PY_RESUME: on_resume, E.LINE: on_line, E.PY_RETURN: on_return,
                     E.PY_YIELD: on_yield, E.PY_UNWIND: on_unwind, E.EXCEPTION_HANDLED: on_handled}
        return callbacks, E.PY_START | E.PY_UNWIND | E.EXCEPTION_HANDLED, targets

    return callbacks_for


def _settrace(rec):
    def local_trace(frame, event, arg):
        try:
            if event == "line":
                rec.on_line(frame, frame.f_lineno)
            elif event == "return":
                if frame.f_code.co_flags & 0x20 and rec.active.get(frame) is not None and rec.active[frame].pending_exc is None:
                    # A generator yields (or ends): settrace cannot tell; keep the call open on yield.
                    if frame.f_lasti >= 0 and _is_yield(frame):
                        return local_trace
                rec.on_return(frame, arg, raised=_left_by_exception(frame))
            elif event == "exception":
                rec.on_exception(frame, arg[1])
        except Exception as e:
            _guard_failed(e)
        return local_trace

    def global_trace(frame, event, arg):
        if event != "call":
            return None
        try:
            if rec.is_target(frame.f_code):
                return local_trace if rec.on_call(frame, track_untraced=False) else None
        except Exception as e:
            _guard_failed(e)
        return None

    return lambda: ducktrace_entry.install_settrace(rec.file, rec.is_target, global_trace)


# Where a frame stands when sys.settrace reports "return": on one of these it returned (or
# yielded); on any other instruction an exception is leaving it (the event's value is then None).
_NORMAL_EXITS = frozenset(("RETURN_VALUE", "RETURN_CONST", "YIELD_VALUE", "YIELD_FROM", "RESUME",
                           "INSTRUMENTED_RETURN_VALUE", "INSTRUMENTED_RETURN_CONST", "INSTRUMENTED_YIELD_VALUE"))


def _left_by_exception(frame):
    """True when the frame is being left by an exception, False when it returns; None when the
    bytecode cannot be read."""
    try:
        return _opname[frame.f_code.co_code[frame.f_lasti]] not in _NORMAL_EXITS
    except Exception:
        return None


def _is_yield(frame):
    try:
        code = frame.f_code.co_code
        op = code[frame.f_lasti]
        return dis.opname[op] in ("YIELD_VALUE", "YIELD_FROM")
    except Exception:
        return False


def install(rec):
    """Starts reporting the target's calls to `rec`; returns the backend's name ("monitoring",
    "settrace-entry" or "settrace")."""
    return _backend.install(_monitoring(rec), _settrace(rec))


def uninstall():
    _backend.uninstall()
