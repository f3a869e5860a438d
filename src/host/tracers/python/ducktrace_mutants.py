"""Ducktrace's mutant runner: the tests that reach a function, run once per mutant of it.

    python -m ducktrace_mutants --plan PLAN.json --mutants MUTANTS.json --out OUT.jsonl
        [--test-timeout S] [--max-lines N] [--budget-ms MS] -- pytest ARGS...

One pytest run, in this process: the tests are collected once, then for each mutant in the given
order the target file's text with the mutant in place is compiled in memory (never written, no
.pyc), the code object of the function the tests can reach is taken from it and assigned to the
live function objects' `__code__` (the functions the tests imported are those objects, so they run
the mutant), every collected test runs (pytest's own runtestprotocol: fixtures set up and torn
down as pytest does, no report printed), and the original code comes back. The module is never
executed again.

PLAN.json is a TracePlan (file, name, firstLine are read). MUTANTS.json:
    {"source": TEXT, "mutants": [{"id": ID, "start": N, "end": N, "replacement": TEXT}]}
with offsets in code points of TEXT, the target file's text. OUT.jsonl gets one line per mutant
as soon as it is finished (a killed run keeps the finished ones), and run-level problems:

    {"index": I, "mutant": ID, "tests": {NODEID: "passed"|"failed"}}        (skipped tests left out)
    {"index": I, "mutant": ID, "tests": {}, "skipped": REASON}
    {"problem": TEXT}

The target is the function whose code object the coverage mode matches (ducktrace_entry's
target_matcher); a nested one is reached through the live function that encloses it (its code
is swapped as a whole). A test that runs more than --max-lines lines of the target or past
--test-timeout fails (ducktrace_spectra's bounds) and the next test runs. A mutant that does not
compile, or whose function cannot take the live function's place (free variables differ), is
skipped with the reason. Past --budget-ms (from this process's start) the mutants left are
skipped with "budget".
"""
import json
import os
import sys
import time
import types
import warnings

import ducktrace_entry
import ducktrace_spectra

_started = time.monotonic()


def _code_tree(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_tree(const)


def _contains(code, is_target):
    return any(is_target(c) for c in _code_tree(code))


def _key(code):
    return (code.co_name, code.co_firstlineno, getattr(code, "co_qualname", None))


def _functions_in(value, found, caches, depth=0):
    """Function objects reachable from a namespace value: through decorators' __wrapped__,
    staticmethod/classmethod/property, a wrapper's closure cells, and classes (3 levels)."""
    pending = [(value, depth)]
    seen = 0
    while pending and seen < 64:
        v, d = pending.pop()
        seen += 1
        try:
            if isinstance(v, types.FunctionType):
                if v not in found:
                    found.append(v)
                for cell in v.__closure__ or ():
                    try:
                        inner = cell.cell_contents
                    except ValueError:
                        continue
                    if isinstance(inner, types.FunctionType):
                        pending.append((inner, d))
            elif isinstance(v, (staticmethod, classmethod)):
                pending.append((v.__func__, d))
            elif isinstance(v, property):
                pending.extend((f, d) for f in (v.fget, v.fset, v.fdel) if f is not None)
            elif isinstance(v, type) and d < 3:
                pending.extend((x, d + 1) for x in list(vars(v).values()))
            attrs = getattr(v, "__dict__", None)
            wrapped = attrs.get("__wrapped__") if isinstance(attrs, dict) else None
            if wrapped is not None:
                pending.append((wrapped, d))
                # functools.lru_cache and its kin remember results: cleared around each mutant.
                if callable(getattr(v, "cache_clear", None)) and v not in caches:
                    caches.append(v)
        except Exception:
            pass


class Swap:
    """The live functions whose code is (or encloses) the target, grouped by that code."""

    def __init__(self, target_file, is_target):
        self.target_file = target_file
        self.is_target = is_target
        self.groups = {}  # original code -> [function objects]
        self.caches = []
        self.filename = None

    def locate(self):
        functions = []
        caches = []
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if not isinstance(path, str):
                continue
            try:
                if ducktrace_entry.real_path(path) != self.target_file:
                    continue
                for value in list(vars(module).values()):
                    _functions_in(value, functions, caches)
            except Exception:
                continue
        groups = {}
        for fn in functions:
            code = fn.__code__
            if code.co_filename and _contains(code, self.is_target):
                groups.setdefault(code, []).append(fn)
        self.groups = groups
        self.caches = [c for c in caches if any(c.__wrapped__ in fns for fns in groups.values())] if groups else []
        if groups:
            self.filename = next(iter(groups)).co_filename
        return bool(groups)

    def codes_for(self, module_code):
        """{original code: its replacement} from the mutated module's code, or the reason why not."""
        by_key = {}
        for code in _code_tree(module_code):
            by_key.setdefault(_key(code), []).append(code)
        replacements = {}
        for original in self.groups:
            found = by_key.get(_key(original), [])
            if len(found) != 1:
                what = "not found" if not found else "found %d times" % len(found)
                return "the function %s (line %d) was %s in the mutated text" % (original.co_name, original.co_firstlineno, what)
            new = found[0]
            if new.co_freevars != original.co_freevars:
                return "its free variables differ (%s instead of %s)" % (", ".join(new.co_freevars) or "none", ", ".join(original.co_freevars) or "none")
            if not _contains(new, self.is_target):
                return "the target was not found in the mutated function"
            replacements[original] = new
        if all(new == original for original, new in replacements.items()):
            # A change of a default value or a decorator is evaluated when the module runs: out of reach.
            return "the mutated text compiles to the same code for the function"
        return replacements

    def apply(self, replacements):
        done = []
        try:
            for original, new in replacements.items():
                for fn in self.groups[original]:
                    fn.__code__ = new
                    done.append((fn, original))
        except Exception as e:
            for fn, original in done:
                fn.__code__ = original
            return "its code cannot replace the function's (%s: %s)" % (type(e).__name__, e)
        self.clear_caches()
        return None

    def restore(self):
        for original, fns in self.groups.items():
            for fn in fns:
                try:
                    fn.__code__ = original
                except Exception:
                    pass
        self.clear_caches()

    def clear_caches(self):
        for cache in self.caches:
            try:
                cache.cache_clear()
            except Exception:
                pass


def _outcome(reports):
    if any(r.failed for r in reports):
        return "failed"
    if any(r.skipped for r in reports):
        return None
    return "passed"


class Runner:
    def __init__(self, plan, spec, out_path, test_timeout, max_lines, budget_ms):
        self.sp = ducktrace_spectra.Spectra(plan, None, test_timeout, max_lines)
        self.target_file = self.sp.file
        self.source = spec["source"]
        self.mutants = spec["mutants"]
        self.out = open(out_path, "w", encoding="utf-8")
        self.budget_s = budget_ms / 1000.0 if budget_ms > 0 else None
        self.swap = Swap(self.target_file, self.sp.is_target)
        self.index = 0

    def write(self, record):
        self.out.write(json.dumps(record) + "\n")
        self.out.flush()

    def problem(self, text):
        self.write({"problem": text})

    def skip_rest(self, reason):
        while self.index < len(self.mutants):
            self.skip(reason)

    def skip(self, reason):
        m = self.mutants[self.index]
        self.write({"index": self.index, "mutant": m["id"], "tests": {}, "skipped": reason})
        self.index += 1

    def over_budget(self):
        return self.budget_s is not None and time.monotonic() - _started > self.budget_s

    def mutated_text(self, m):
        text = self.source[: m["start"]] + m["replacement"] + self.source[m["end"]:]
        return text[1:] if text.startswith("\ufeff") else text

    def run_item(self, runtestprotocol, item, nextitem):
        self.sp.begin(item.nodeid)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _outcome(runtestprotocol(item, log=False, nextitem=nextitem))
        finally:
            self.sp.end()

    def loop(self, session):
        from _pytest.runner import runtestprotocol

        items = list(session.items)
        if session.testsfailed:
            self.problem("%d error(s) while collecting the tests" % session.testsfailed)
            self.skip_rest("the tests did not collect")
            return
        if not items:
            self.problem("no tests were collected")
            self.skip_rest("no tests")
            return
        try:
            with open(self.target_file, encoding="utf-8", newline="") as f:
                on_disk = f.read()
        except Exception as e:
            on_disk = None
            self.problem("cannot read %s: %s" % (self.target_file, e))
        if on_disk is not None and on_disk != self.source:
            self.problem("%s changed since the mutants were made" % self.target_file)
            self.skip_rest("the file changed")
            return
        # The tests imported the target while they were collected; when one imports it only as it
        # runs, the tests run unmutated until it is loaded.
        warm = 0
        while not self.swap.locate() and warm < len(items):
            self.run_item(runtestprotocol, items[warm], items[warm + 1] if warm + 1 < len(items) else None)
            warm += 1
        if not self.swap.groups:
            self.problem("the tests never loaded the function from %s" % self.target_file)
            self.skip_rest("the function was not found in the running tests")
            return
        total = len(self.mutants)
        while self.index < total:
            if self.over_budget():
                self.skip_rest("budget")
                return
            m = self.mutants[self.index]
            try:
                module_code = compile(self.mutated_text(m), self.swap.filename, "exec", dont_inherit=True)
            except (SyntaxError, ValueError) as e:
                line = getattr(e, "lineno", None)
                self.skip("it does not compile (%s: %s%s)" % (type(e).__name__, getattr(e, "msg", None) or e, " on line %d" % line if line else ""))
                continue
            replacements = self.swap.codes_for(module_code)
            if isinstance(replacements, str):
                self.skip(replacements)
                continue
            reason = self.swap.apply(replacements)
            if reason:
                self.skip(reason)
                continue
            tests = {}
            ran_out = False
            try:
                # Installed per mutant: sys.settrace's trampolines wrap the code in place now.
                self.sp.ensure = lambda: None
                os.environ["DUCKTRACE_TRACER_ACTIVE"] = ducktrace_spectra.install(self.sp)
                try:
                    for i, item in enumerate(items):
                        if self.over_budget():
                            ran_out = True
                            break
                        # The next mutant runs the first test next: fixtures it shares stay up.
                        last = i + 1 == len(items)
                        nextitem = items[i + 1] if not last else (items[0] if self.index + 1 < total else None)
                        outcome = self.run_item(runtestprotocol, item, nextitem)
                        if outcome is not None:
                            tests[item.nodeid] = outcome
                finally:
                    ducktrace_spectra.uninstall()
                    self.sp.ensure = lambda: None
            finally:
                self.swap.restore()
            if ran_out:
                # The fixtures still up come down as the session ends (pytest's own teardown).
                self.skip_rest("budget")
                return
            self.write({"index": self.index, "mutant": m["id"], "tests": tests})
            self.index += 1


def main(args):
    opts, command = ducktrace_entry.split_command_line(args, __doc__)
    if not command or command[0] != "pytest":
        raise SystemExit("ducktrace mutants: only `-- pytest ARGS...` is supported")
    with open(opts["plan"], encoding="utf-8") as f:
        plan = json.load(f)
    with open(opts["mutants"], encoding="utf-8") as f:
        spec = json.load(f)
    runner = Runner(
        plan,
        spec,
        opts["out"],
        float(opts.get("test-timeout") or 0),
        int(opts.get("max-lines") or 1000000),
        float(opts.get("budget-ms") or 0),
    )
    import pytest

    class _Plugin:
        @pytest.hookimpl(tryfirst=True)
        def pytest_runtestloop(self, session):
            if session.config.option.collectonly:
                return None
            try:
                runner.loop(session)
            finally:
                runner.swap.restore()
            return True

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_call(self, item):
            runner.sp.arm()
            try:
                yield
            finally:
                runner.sp.disarm()

    sys.argv = ["pytest"] + command[1:]
    try:
        code = int(pytest.main(command[1:], plugins=[_Plugin()]))
    finally:
        ducktrace_spectra.uninstall()
        runner.swap.restore()
        runner.out.close()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
