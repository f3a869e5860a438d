"""Ducktrace's Python tracer: what one function did while a test ran, block by block.

The Recorder is told by a backend (ducktrace_tracer_backends.py) when a call of the target starts,
which line runs, when an exception passes and when the call ends. It maps lines to the plan's
blocks (src/core/trace/tracePlan.ts), keeps a step with the values of the variables each time a
block ends, and within the budget keeps the calls and steps the trace needs (the first ones,
first visits and new variable types, a ring of the latest). `snapshot` is the RawTrace
(src/core/trace/traceBudget.ts) as data; ducktrace_trace_file.py writes it.
"""
import os
import threading
import time
from collections import deque

import ducktrace_entry
from ducktrace_values import Renderer, safe_fields

# Our own references to the builtins the callbacks use: a test that monkey-patches builtins.len or
# builtins.type must not switch tracing off (module globals are found before builtins).
from builtins import int, len, list, max, round, set, sorted, sum, tuple  # noqa: A004


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
    def __init__(self, plan):
        budget = plan.get("budget") or {}
        self.plan = plan
        self.file = os.path.realpath(plan["file"])
        self.is_target = ducktrace_entry.target_matcher(plan)
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
        self.notes = []
        self.stop_pending = False
        # Called when the step budget is spent, right after the last step recorded: ends the program.
        self.on_steps_spent = lambda: None
        # The backend installed ("monitoring", "settrace-entry", "settrace"), for the trace's notes.
        self.backend = None
        # Something was recorded since the last checkpoint.
        self.dirty = False

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
            fields = safe_fields(self_obj)
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
                    self.on_steps_spent()
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
                self.on_steps_spent()
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
    def snapshot(self, stopped=None, final=True, exit_code=None):
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
            if exit_code is not None:
                out["exitCode"] = exit_code
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
