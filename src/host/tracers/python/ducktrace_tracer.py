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
"""
import dis
import json
import os
import signal
import sys
import threading
import time
import ducktrace_entry
import types
from collections import deque

# Our own references to the builtins the callbacks use: a test that monkey-patches builtins.len or
# builtins.type must not switch tracing off (module globals are found before builtins).
from builtins import (bytes, dict, float, frozenset, getattr, hasattr, id, int, isinstance, iter, len, list, max, min,  # noqa: E402,A004
                      next, object, range, repr, reversed, round, set, slice, sorted, str, tuple, type, zip)

STOPPED_EXIT_CODE = 124
# Our own references: the test may replace os._exit (we do, below) or dis.opname.
_real_exit = os._exit
_opname = list(dis.opname)

# ---------------------------------------------------------------------------------------------
# Safe rendering

_type_name_get = type.__dict__["__name__"].__get__
_type_qualname_get = type.__dict__["__qualname__"].__get__
_type_mro_get = type.__dict__["__mro__"].__get__
_type_dict_get = type.__dict__["__dict__"].__get__
_exc_args_get = BaseException.__dict__["args"].__get__
_GetSet = type(type.__dict__["__name__"])


def _member_type():
    class _S:
        __slots__ = ("a",)
    return type(_type_dict_get(_S)["a"])


_Member = _member_type()

try:
    import enum as _enum
except Exception:  # pragma: no cover
    _enum = None


def _tname(cls):
    try:
        return _type_name_get(cls)
    except Exception:
        return "?"


def _mro(cls):
    try:
        return _type_mro_get(cls)
    except Exception:
        return (cls,)


def _safe_fields(obj):
    """The instance's attributes from its __dict__ and slots, without running any user code."""
    fields = {}
    cls = type(obj)
    for klass in _mro(cls):
        try:
            namespace = _type_dict_get(klass)
        except Exception:
            continue
        descriptor = namespace.get("__dict__")
        if type(descriptor) is _GetSet and "__dict__" not in fields:
            try:
                d = descriptor.__get__(obj, cls)
                if type(d) is dict:
                    for k, v in dict.items(d):
                        if type(k) is str and k not in fields:
                            fields[k] = v
            except Exception:
                pass
        slots = namespace.get("__slots__")
        if slots is not None:
            if type(slots) is str:
                slots = (slots,)
            try:
                names = [s for s in slots if type(s) is str]
            except Exception:
                names = []
            for name in names:
                member = namespace.get(name)
                if type(member) is _Member and name not in fields:
                    try:
                        fields[name] = member.__get__(obj, cls)
                    except Exception:  # an unset slot
                        pass
    return fields


# Exact built-in types whose values cannot change: one renders the same text every time.
_SCALARS = frozenset((int, float, complex, str, bytes, bool, type(None)))
# The length shown for exact built-in containers, without walking the type's MRO.
_EXACT_LENGTH = {str: str.__len__, bytes: bytes.__len__, bytearray: bytearray.__len__, list: list.__len__,
                 tuple: tuple.__len__, dict: dict.__len__, set: set.__len__, frozenset: frozenset.__len__,
                 deque: deque.__len__}
# A list or tuple whose shown items are these scalars is remembered with them (the items only,
# never the container): how a loop's unchanged list is rendered once instead of at every step.
_SEQUENCE_CACHE_SIZE = 256
_CACHED_ITEM_CHARS = 256


class Renderer:
    """Renders a value as {"type", "text", "length"?}. The dicts it returns may be shared between
    steps (the sequence cache): they are never modified after."""

    def __init__(self, max_chars=160, max_depth=3, head=6, tail=3):
        self.max_chars = max_chars
        self.max_depth = max_depth
        self.head = head
        self.tail = tail
        # id(sequence) -> (its type, its length, the shown items, the rendering). A hit needs the
        # same type, length and the very same item objects (immutable scalars), so it renders the
        # same text as a fresh rendering would, whichever sequence now has that id.
        self._sequences = {}

    def render(self, value):
        cls = type(value)
        if cls is list or cls is tuple:
            return self._render_sequence(value, cls)
        return self._render(value, cls)

    def _render_sequence(self, value, cls):
        n = cls.__len__(value)
        getitem = cls.__getitem__
        indexes = range(n) if n <= self.head + self.tail else [*range(self.head), *range(n - self.tail, n)]
        items = tuple(getitem(value, i) for i in indexes)
        key = id(value)
        hit = self._sequences.get(key)
        if hit is not None and hit[0] is cls and hit[1] == n and len(hit[2]) == len(items):
            same = True
            for a, b in zip(hit[2], items):
                if a is not b:
                    same = False
                    break
            if same:
                return hit[3]
        out = self._render(value, cls)
        if all(type(x) in _SCALARS and (type(x) not in (str, bytes) or len(x) <= _CACHED_ITEM_CHARS) for x in items):
            if len(self._sequences) >= _SEQUENCE_CACHE_SIZE:
                self._sequences.clear()
            self._sequences[key] = (cls, n, items, out)
        return out

    def _render(self, value, cls):
        out = {"type": self._type_label(value, cls)}
        try:
            text = self._text(value, 0, set())
        except Exception as e:  # a value we could not read: say so instead of failing
            text = "<unreadable: %s>" % _tname(type(e))
        if len(text) > self.max_chars:
            text = text[: self.max_chars - 1] + "\u2026"
        out["text"] = text
        length = self._length(value, cls)
        if length is not None:
            out["length"] = length
        return out

    def _type_label(self, value, cls):
        if cls is type(None):
            return "None"
        if cls is types.FunctionType or cls is types.BuiltinFunctionType or cls is types.MethodType:
            return "function"
        return _tname(cls)

    def _length(self, value, cls):
        exact = _EXACT_LENGTH.get(cls)
        if exact is not None:
            return exact(value)
        if cls in _SCALARS:
            return None
        try:
            for base, length in ((str, str.__len__), (bytes, bytes.__len__), (bytearray, bytearray.__len__),
                                 (list, list.__len__), (tuple, tuple.__len__), (dict, dict.__len__),
                                 (set, set.__len__), (frozenset, frozenset.__len__)):
                if base in _mro(cls):
                    return length(value)
            if cls is deque:
                return deque.__len__(value)
        except Exception:
            pass
        return None

    def _seq(self, items_head, items_tail, total, open_, close, depth, seen):
        parts = [self._text(v, depth + 1, seen) for v in items_head]
        if total > len(items_head) + len(items_tail):
            parts.append("\u2026(%d more)" % (total - len(items_head) - len(items_tail)))
        parts.extend(self._text(v, depth + 1, seen) for v in items_tail)
        return open_ + ", ".join(parts) + close

    def _indexed(self, value, length_fn, getitem, depth, seen):
        n = length_fn(value)
        if n <= self.head + self.tail:
            return n, [getitem(value, i) for i in range(n)], []
        return n, [getitem(value, i) for i in range(self.head)], [getitem(value, i) for i in range(n - self.tail, n)]

    def _text(self, v, depth, seen):
        cls = type(v)
        if v is None or cls is bool:
            return "True" if v is True else "False" if v is False else "None"
        mro = (cls, object) if cls in _SCALARS else _mro(cls)
        if int in mro:
            bits = int.bit_length(v)
            return int.__repr__(v) if bits <= 2000 else "<int of %d bits>" % bits
        if float in mro:
            return float.__repr__(v)
        if complex in mro:
            return complex.__repr__(v)
        if str in mro:
            n = str.__len__(v)
            if n <= 60:
                return str.__repr__(str.__str__(v)) if cls is str else str.__repr__(str.__getitem__(v, slice(0, n)))
            return str.__repr__(str.__getitem__(v, slice(0, 40))) + "\u2026" + str.__repr__(str.__getitem__(v, slice(n - 12, n)))
        if bytes in mro or bytearray in mro:
            base = bytes if bytes in mro else bytearray
            n = base.__len__(v)
            head = bytes(base.__getitem__(v, slice(0, 40)))
            return bytes.__repr__(head) + ("\u2026(%d bytes)" % n if n > 40 else "")
        if cls is types.FunctionType:
            return "<function %s>" % v.__qualname__
        if cls is types.BuiltinFunctionType:
            return "<built-in function %s>" % v.__name__
        if cls is types.MethodType:
            func = v.__func__
            name = func.__qualname__ if type(func) is types.FunctionType else "?"
            return "<bound method %s>" % name
        if type in mro:
            return "<class %s>" % _type_qualname_get(v)
        if cls is types.ModuleType:
            return "<module %s>" % _safe_fields(v).get("__name__", "?")
        if cls is range:
            return "range(%d, %d, %d)" % (v.start, v.stop, v.step) if v.step != 1 else "range(%d, %d)" % (v.start, v.stop)
        if _enum is not None and _enum.Enum in mro:
            fields = _safe_fields(v)
            return "%s.%s" % (_tname(cls), fields.get("_name_", "?"))
        key = id(v)
        if key in seen:
            return "<cycle %s>" % _tname(cls)
        if depth >= self.max_depth:
            return "%s(\u2026)" % _tname(cls) if cls not in (list, tuple, dict, set, frozenset) else {
                list: "[\u2026]", tuple: "(\u2026)", dict: "{\u2026}", set: "{\u2026}", frozenset: "frozenset(\u2026)"}[cls]
        seen.add(key)
        try:
            if list in mro:
                n, h, t = self._indexed(v, list.__len__, list.__getitem__, depth, seen)
                return self._seq(h, t, n, "[", "]", depth, seen)
            if tuple in mro:
                n, h, t = self._indexed(v, tuple.__len__, tuple.__getitem__, depth, seen)
                fields = None
                if cls is not tuple:
                    fields = _type_dict_get(cls).get("_fields")
                if type(fields) is tuple and len(fields) == n and n <= self.head + self.tail:
                    return "%s(%s)" % (_tname(cls), ", ".join("%s=%s" % (f, self._text(x, depth + 1, seen)) for f, x in zip(fields, h)))
                return self._seq(h, t, n, "(", ",)" if n == 1 else ")", depth, seen)
            if cls is deque:
                n, h, t = self._indexed(v, deque.__len__, deque.__getitem__, depth, seen)
                return "deque(" + self._seq(h, t, n, "[", "]", depth, seen) + ")"
            if dict in mro:
                n = dict.__len__(v)
                items = dict.items(v)
                if n <= self.head + self.tail:
                    h, t = list(items), []
                else:
                    it = iter(items)
                    h = [next(it) for _ in range(self.head)]
                    rit = reversed(items)
                    t = [next(rit) for _ in range(self.tail)][::-1]
                parts = ["%s: %s" % (self._text(k, depth + 1, seen), self._text(x, depth + 1, seen)) for k, x in h]
                if n > len(h) + len(t):
                    parts.append("\u2026(%d more)" % (n - len(h) - len(t)))
                parts.extend("%s: %s" % (self._text(k, depth + 1, seen), self._text(x, depth + 1, seen)) for k, x in t)
                body = "{" + ", ".join(parts) + "}"
                return body if cls is dict else "%s(%s)" % (_tname(cls), body)
            if set in mro or frozenset in mro:
                base = set if set in mro else frozenset
                n = base.__len__(v)
                it = base.__iter__(v)
                h = [next(it) for _ in range(min(n, self.head + self.tail))]
                body = self._seq(h, [], n, "{", "}", depth, seen) if n else "set()"
                return body if cls is set else "%s(%s)" % (_tname(cls), body)
            if BaseException in mro:
                args = _exc_args_get(v)
                return "%s(%s)" % (_tname(cls), ", ".join(self._text(a, depth + 1, seen) for a in tuple.__iter__(args)))
            fields = _safe_fields(v)
            if not fields:
                return "<%s object>" % _tname(cls)
            items = list(fields.items())
            shown = items[: self.head + self.tail]
            parts = ["%s=%s" % (k, self._text(x, depth + 1, seen)) for k, x in shown]
            if len(items) > len(shown):
                parts.append("\u2026(%d more fields)" % (len(items) - len(shown)))
            return "%s(%s)" % (_tname(cls), ", ".join(parts))
        finally:
            seen.discard(key)


# ---------------------------------------------------------------------------------------------
# Recording


class _Call:
    __slots__ = ("seq", "args", "depth", "steps", "notable", "ring", "executed", "block", "visits",
                 "last_line", "returned", "threw", "pending_exc", "last_exc", "header", "types_seen",
                 "first_seen", "frame")

    def __init__(self, seq, depth, ring_size, frame):
        self.seq = seq
        self.args = {}
        self.depth = depth
        self.steps = []
        self.notable = []
        self.ring = deque(maxlen=ring_size)
        self.executed = 0
        self.block = None
        self.visits = {}
        self.last_line = -1
        self.returned = None
        self.threw = None
        self.pending_exc = None
        # The latest exception seen in this frame: what it raised when it leaves by an exception.
        self.last_exc = None
        # An `except` header that ran while an exception was pending: (block, line, vars then).
        # Whether its handler runs is known only from what runs next.
        self.header = None
        self.types_seen = {}
        self.first_seen = set()
        self.frame = frame

    def to_json(self, unfinished=False):
        steps = sorted(self.steps + self.notable + list(self.ring), key=lambda s: s["index"])
        out = {"args": self.args, "depth": self.depth, "steps": steps, "executedSteps": self.executed}
        if self.returned is not None:
            out["returned"] = self.returned
        if self.threw is not None:
            out["threw"] = self.threw
        if unfinished:
            out["unfinished"] = True
        return out


class Recorder:
    def __init__(self, plan, out_path):
        budget = plan.get("budget") or {}
        self.plan = plan
        self.out_path = out_path
        self.file = os.path.realpath(plan["file"])
        self.name = plan["name"]
        self.first_line = int(plan["firstLine"])
        self.line_blocks = {int(k): v for k, v in plan["lineBlocks"].items()}
        self.block_first_lines = plan.get("blockFirstLines", {})
        self.self_loops = set(plan.get("selfLoopBlocks", []))
        self.handler_blocks = set(plan.get("handlerBlocks", []))
        self.finally_blocks = set(plan.get("finallyBlocks", []))
        # Handlers written on one line (`except KeyError: pass`): no line of their own comes after the header.
        self.one_line_handlers = set()
        for line, block in self.line_blocks.items():
            if block in self.handler_blocks and self.block_first_lines.get(block) == line:
                if sum(1 for b in self.line_blocks.values() if b == block) == 1:
                    self.one_line_handlers.add(block)
        self.self_fields = list(plan.get("selfFields", []))
        self.max_steps = int(budget.get("maxSteps", 300))
        self.max_calls = max(2, int(budget.get("maxCalls", 20)))
        self.max_depth = int(budget.get("maxDepth", 30))
        self.max_executed = int(budget.get("maxExecutedSteps", 20000))
        self.keep_full = max(2 * self.max_steps, 200)
        self.ring_size = max(self.max_steps // 2, 50)
        self.renderer = Renderer(max_chars=int(budget.get("maxValueChars", 160)))
        self.lock = threading.RLock()
        self.started = time.monotonic()
        self.head_calls = []
        self.tail_calls = deque(maxlen=self.max_calls)
        self.dropped_calls = 0
        self.dropped_deep = 0
        self.active = {}  # frame -> _Call (None for calls too deep to record)
        self.stack_depth = 0
        self.seq = 0
        self.executed_total = 0
        self.stopped = None
        self.written = False
        self._file_cache = {}
        self.notes = []
        self.stop_pending = False
        self.backend = None
        self.dirty = False
        self.exit_code = None
        self.pid = os.getpid()

    # -- which code is the target
    def is_target(self, code):
        if code.co_name != self.name or code in ducktrace_entry.trampolines:
            return False
        if not (self.first_line - 50 <= code.co_firstlineno <= self.first_line):
            return False
        filename = code.co_filename
        real = self._file_cache.get(filename)
        if real is None:
            try:
                real = os.path.realpath(filename)
            except Exception:
                real = filename
            self._file_cache[filename] = real
        return real == self.file

    # -- values
    def _vars(self, frame):
        out = {}
        try:
            local_items = list(frame.f_locals.items())
        except Exception:
            return out
        render = self.renderer.render
        self_obj = None
        for name, value in local_items:
            if name == "__class__":
                continue
            if name == "self" and self.self_fields:
                self_obj = value
                continue
            out[name] = render(value)
        if self_obj is not None:
            fields = _safe_fields(self_obj)
            for field in self.self_fields:
                if field in fields:
                    out["self." + field] = render(fields[field])
        return out

    def _args(self, frame):
        code = frame.f_code
        count = code.co_argcount + code.co_kwonlyargcount
        if code.co_flags & 0x04:
            count += 1
        if code.co_flags & 0x08:
            count += 1
        names = code.co_varnames[:count]
        try:
            local = frame.f_locals
            return {n: self.renderer.render(local[n]) for n in names if n in local}
        except Exception:
            return {}

    # -- events
    def on_call(self, frame, track_untraced=True):
        """Starts recording a call; False when it is too deep to record. With `track_untraced`
        (sys.monitoring, which reports every return of the code), unrecorded calls are tracked too."""
        with self.lock:
            if frame in self.active:  # a generator resuming
                return True
            if self.stack_depth >= self.max_depth:
                self.dropped_deep += 1
                if track_untraced:
                    self.active[frame] = None
                    self.stack_depth += 1
                return False
            self.seq += 1
            call = _Call(self.seq, self.stack_depth, self.ring_size, frame)
            call.args = self._args(frame)
            self.active[frame] = call
            self.stack_depth += 1
            return True

    def on_line(self, frame, line):
        call = self.active.get(frame)
        if call is None:
            return
        block = self.line_blocks.get(line)
        if block is None:
            return
        with self.lock:
            if call.header is not None:
                self._settle_header(call, frame, block, line)
            if call.pending_exc is not None and block in self.handler_blocks and line == self.block_first_lines.get(block) and block != call.block:
                # Python tests an `except` clause on its header line: the handler has not run yet.
                call.header = (block, line, self._vars(frame))
                call.last_line = line
                return
            call.pending_exc = None
            if call.block is None:
                call.block = block
                call.visits[block] = 1
            elif block != call.block or (
                block in self.self_loops and line == self.block_first_lines.get(block) and line <= call.last_line
            ):
                self._finish_step(call, frame)
                if self.stop_pending:
                    # The block just finished is the last one recorded; the next has not run.
                    call.block = None
                    self.stop("steps")
                call.block = block
                call.visits[block] = call.visits.get(block, 0) + 1
            call.last_line = line

    def _settle_header(self, call, frame, block, line):
        """The line after an `except` header tells whether that handler caught the exception: a
        line of its own body says it did; another header or a `finally` says it did not."""
        header_block, header_line, header_vars = call.header
        call.header = None
        if block == header_block and line != header_line:
            self._enter_handler(call, frame, header_block, header_vars)
        elif block in self.handler_blocks and line == self.block_first_lines.get(block):
            return  # the next clause is tested: this one did not match
        elif block in self.finally_blocks:
            return  # the exception goes on through the finally block
        elif header_block in self.one_line_handlers:
            # A handler on its header's line ran there, then control went on after the try.
            self._enter_handler(call, frame, header_block, header_vars)

    def _enter_handler(self, call, frame, block, vars_before):
        """The handler caught the exception: the block it interrupted ends with the values from
        before the clause was tested."""
        call.pending_exc = None
        if call.block is not None and call.block != block:
            self._finish_step(call, frame, vars_=vars_before)
            if self.stop_pending:
                call.block = None
                self.stop("steps")
        call.block = block
        call.visits[block] = call.visits.get(block, 0) + 1

    def on_return(self, frame, value, exception=None, raised=None):
        """The call ends: by returning `value`, or by raising. `exception` comes from the backend
        when it knows (sys.monitoring's PY_UNWIND); `raised` says whether sys.settrace's
        "return" event left by an exception (None: unknown, go by the pending exception)."""
        with self.lock:
            if frame not in self.active:
                return
            call = self.active.pop(frame)
            self.stack_depth -= 1
            if call is None:
                return
            if exception is None and raised:
                exception = call.last_exc if call.last_exc is not None else call.pending_exc
            elif exception is None and raised is None:
                exception = call.pending_exc
            if call.header is not None:
                if exception is None:
                    # A one-line handler caught it and the function returned from there.
                    self._enter_handler(call, frame, call.header[0], call.header[2])
                call.header = None
            if call.block is not None:
                self._finish_step(call, frame, final=True)
            if exception is not None:
                call.threw = self.renderer.render(exception)
            else:
                call.returned = self.renderer.render(value)
            call.frame = None
            self._store(call)

    def on_exception(self, frame, exc):
        call = self.active.get(frame)
        if call is not None:
            call.pending_exc = exc
            call.last_exc = exc

    def _store(self, call):
        self.dirty = True
        if len(self.head_calls) < self.max_calls:
            self.head_calls.append(call)
        else:
            if len(self.tail_calls) == self.tail_calls.maxlen:
                self.dropped_calls += 1
            self.tail_calls.append(call)

    def _finish_step(self, call, frame, final=False, vars_=None):
        index = call.executed
        call.executed += 1
        self.executed_total += 1
        self.dirty = True
        block = call.block
        step = {"index": index, "blockId": block, "iteration": call.visits.get(block, 1),
                "vars": vars_ if vars_ is not None else self._vars(frame)}
        # Every step until the call has many; then first visits and new variable types, and a
        # ring of the latest steps (the budget in TypeScript picks from these).
        signature = tuple(sorted((k, v["type"]) for k, v in step["vars"].items()))
        if len(call.steps) < self.keep_full:
            call.steps.append(step)
        elif (block not in call.first_seen or signature not in call.types_seen) and len(call.notable) < self.keep_full:
            call.notable.append(step)
        else:
            call.ring.append(step)
        call.types_seen[signature] = True
        call.first_seen.add(block)
        if not final and self.executed_total >= self.max_executed:
            self.stop_pending = True

    # -- output
    def snapshot(self, stopped=None, final=True):
        """The trace as JSON-able data. `final`: recording is over, so the block each unfinished
        call was running is recorded with its values so far. A checkpoint (not final) leaves the
        calls as they are: it runs on another thread, while the test goes on."""
        with self.lock:
            calls = self.head_calls + list(self.tail_calls)
            unfinished = []
            for frame, call in list(self.active.items()):
                if call is None:
                    continue
                if final and call.block is not None:
                    # The block that was running when recording ended: its values so far.
                    try:
                        step = {"index": call.executed, "blockId": call.block, "iteration": call.visits.get(call.block, 1), "vars": self._vars(frame)}
                        call.ring.append(step)
                        call.executed += 1
                        call.block = None
                    except Exception:
                        pass
                unfinished.append(call)
            ordered = sorted([(c, False) for c in calls] + [(c, True) for c in unfinished], key=lambda pair: pair[0].seq)
            out = {
                "calls": [c.to_json(unfinished=u) for c, u in ordered],
                "droppedCalls": self.dropped_calls,
                "droppedDeepCalls": self.dropped_deep,
                "executedSteps": self.executed_total,
                "elapsedMs": round((time.monotonic() - self.started) * 1000),
            }
            if stopped:
                out["stoppedBy"] = stopped
            if self.exit_code is not None:
                out["exitCode"] = self.exit_code
            if not final:
                # Written while the test ran: if this is what the host finds, the process died
                # (killed) before the tracer could write the end.
                out["partial"] = True
            notes = list(self.notes)
            if final and unfinished and not stopped and (self.backend or "").startswith("settrace"):
                notes.append("%d call%s never returned to the tracer: Python switches a tracer off when an error such as RecursionError hits it" % (len(unfinished), "" if len(unfinished) == 1 else "s"))
            if notes:
                out["notes"] = notes
            return out

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
            self._dump(self.snapshot(stopped))

    def checkpoint(self):
        """What was recorded so far, so that a process killed without warning leaves its trace."""
        with self.lock:
            if self.written or not self.dirty or os.getpid() != self.pid:
                return
            self.dirty = False
            self._dump(self.snapshot(final=False))

    def stop(self, reason):
        """Ends the program from inside a callback, or from a thread on the host's signal: the
        trace so far is the result."""
        with self.lock:
            if self.stopped is None:
                self.stopped = reason
        try:
            uninstall()
        except Exception:
            pass
        try:
            self.write(reason)
        except Exception as e:
            _warn("could not write the trace: %r" % (e,))
        try:
            if reason == "steps":
                why = "%d executed steps" % self.executed_total
            elif reason == "signal":
                why = "Ducktrace asked it to stop (time limit)"
            else:
                why = "its time limit"
            sys.stderr.write("\nducktrace: stopped the program after %s (%d steps traced)\n" % (why, self.executed_total))
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
            uninstall()
        except Exception:
            pass
        try:
            self.write("exit")
        except Exception as e:
            _warn("could not write the trace: %r" % (e,))


def _warn(message):
    try:
        sys.stderr.write("ducktrace tracer: %s\n" % message)
    except Exception:
        pass


# ---------------------------------------------------------------------------------------------
# Backends

_recorder = None
_installed = ducktrace_entry.Installed()
_warned = [False]


def _guard_failed(e):
    if not _warned[0]:
        _warned[0] = True
        _warn("tracing error (the test continues untraced from here): %r" % (e,))


def install_monitoring(rec):
    tool = ducktrace_entry.claim_monitoring_tool("ducktrace")
    if tool is None:
        return False
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
    _installed.set(ducktrace_entry.start_monitoring(tool, callbacks, E.PY_START | E.PY_UNWIND | E.EXCEPTION_HANDLED, targets))
    return True


def install_settrace(rec):
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

    uninstall_settrace, backend = ducktrace_entry.install_settrace(rec.file, rec.is_target, global_trace)
    _installed.set(uninstall_settrace)
    return backend


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
        import dis
        return dis.opname[op] in ("YIELD_VALUE", "YIELD_FROM")
    except Exception:
        return False


def uninstall():
    _installed.uninstall()


def install(rec):
    global _recorder
    _recorder = rec
    if ducktrace_entry.monitoring_wanted() and install_monitoring(rec):
        return "monitoring"
    return install_settrace(rec)


# ---------------------------------------------------------------------------------------------
# Running the test command


start_tracing_hook = None


def start_tracing():
    if start_tracing_hook is not None:
        start_tracing_hook()


def _run_command(argv):
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
                    uninstall()

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


CHECKPOINT_SECONDS = 1.0


def _keep_trace_on_early_end(rec, checkpoint_seconds):
    """However the test process ends, the trace of what ran is left behind:
    - os._exit (which skips every cleanup): the trace is written first, stoppedBy "exit";
    - SIGTERM, which is how Ducktrace's host says its time limit is over (one clock, the host's):
      the trace so far is written, stoppedBy "signal", and the process ends with 124;
    - killed without warning (SIGKILL, the machine's OOM killer): a thread writes what was
      recorded every `checkpoint_seconds` while it changes, marked "partial"."""
    os.environ["DUCKTRACE_TRACE_FILE"] = rec.out_path

    def exit_with_trace(status):
        try:
            rec.on_exit(status)
        except Exception:
            pass
        _real_exit(status)

    os._exit = exit_with_trace

    def on_sigterm(signum, frame):
        # Not here: the main thread may be inside a recorder callback. A thread takes the lock
        # once the callback is done, writes, and ends the process.
        t = threading.Thread(target=rec.stop, args=("signal",), name="ducktrace-stop", daemon=True)
        t.start()

    try:
        signal.signal(signal.SIGTERM, on_sigterm)
    except Exception:
        pass  # not the main thread, or no SIGTERM (Windows): the checkpoints remain

    def keep_writing():
        while True:
            time.sleep(checkpoint_seconds)
            try:
                rec.checkpoint()
            except Exception as e:
                _warn("could not write the trace so far: %r" % (e,))
                return

    threading.Thread(target=keep_writing, name="ducktrace-checkpoint", daemon=True).start()


def main(args):
    opts, command = ducktrace_entry.split_command_line(args, __doc__)
    with open(opts["plan"], encoding="utf-8") as f:
        plan = json.load(f)
    rec = Recorder(plan, opts["out"])
    _keep_trace_on_early_end(rec, float(opts.get("checkpoint-seconds") or CHECKPOINT_SECONDS))

    def start_tracing():
        rec.backend = install(rec)
        os.environ["DUCKTRACE_TRACER_ACTIVE"] = rec.backend

    global start_tracing_hook
    start_tracing_hook = start_tracing
    code = 1
    try:
        code = _run_command(command)
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if not isinstance(e.code, (int, type(None))):
            sys.stderr.write(str(e.code) + "\n")
    finally:
        try:
            uninstall()
        except Exception:
            pass
        try:
            rec.write(rec.stopped)
        except Exception as e:
            _warn("could not write the trace: %r" % (e,))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
