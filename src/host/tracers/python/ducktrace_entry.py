"""Ducktrace: what the tracer, its coverage mode and the call census share to install themselves.

The backend choice and the sys.monitoring plumbing (3.12+: claim a free tool id, register the
callbacks, switch everything off again) are at the end of this file. The rest is the sys.settrace
backend's trampoline: trace only while the target function runs.

With sys.settrace, Python calls the global trace function on every call of every function, which
makes call-heavy tests several times slower even when none of those calls is the target. When the
target is an ordinary function already imported (the test run starts after collection), its
function objects are found in their module and their code is swapped for a one-line trampoline
that switches sys.settrace on for the duration of the call and restores the previous tracer
after it. Everything else runs untraced. The original code comes back on uninstall.

Generators, coroutines, closures and functions that cannot be found fall back to the global
tracer: `install` returns None and the caller keeps tracing every call as before.
"""

import builtins
import os
import sys
import threading
import types

# CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR: their bodies run
# after the call returns, outside the trampoline.
_SUSPENDING = 0x20 | 0x80 | 0x100 | 0x200
_HOOK = "__ducktrace_enter__"
# The trampolines' code objects: they carry the target's name, file and line, and are not it.
trampolines = set()


def _candidates(namespace, depth=0):
    """Function objects reachable from a module's or class's namespace."""
    for value in list(namespace.values()):
        for fn in _unwrap(value):
            yield fn
        if isinstance(value, type) and depth < 3:
            try:
                yield from _candidates(vars(value), depth + 1)
            except Exception:
                pass


def _unwrap(value):
    seen = 0
    pending = [value]
    while pending and seen < 16:
        v = pending.pop()
        seen += 1
        if isinstance(v, types.FunctionType):
            yield v
        if isinstance(v, (staticmethod, classmethod)):
            pending.append(v.__func__)
        elif isinstance(v, property):
            pending.extend(f for f in (v.fget, v.fset, v.fdel) if f is not None)
        wrapped = v.__dict__.get("__wrapped__") if isinstance(getattr(v, "__dict__", None), dict) else None
        if wrapped is not None:
            pending.append(wrapped)


# Module file -> its real path: resolving links walks the file system, and the mutant runner looks
# for the target again for every mutant.
_real_paths = {}


def real_path(path):
    real = _real_paths.get(path)
    if real is None:
        real = _real_paths[path] = os.path.realpath(path)
    return real


def find_targets(target_file, is_target):
    """The target's function objects in the modules imported from its file."""
    found = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str):
            continue
        try:
            if real_path(path) != target_file:
                continue
            namespace = vars(module)
        except Exception:
            continue
        for fn in _candidates(namespace):
            try:
                if fn not in found and is_target(fn.__code__):
                    found.append(fn)
            except Exception:
                pass
    return found


def install_settrace(target_file, is_target, global_trace):
    """The sys.settrace backend of the tracer and the coverage mode: through trampolines where the
    target can be found (`install`), else `global_trace` on every call of every thread. Returns
    (uninstall, backend name: "settrace-entry" or "settrace")."""
    uninstall = install(target_file, is_target, global_trace)
    if uninstall is not None:
        return uninstall, "settrace-entry"
    sys.settrace(global_trace)
    threading.settrace(global_trace)

    def uninstall_global():
        sys.settrace(None)
        threading.settrace(None)

    return uninstall_global, "settrace"


def install(target_file, is_target, global_trace):
    """Swaps the target's code for trampolines; returns the uninstall function, or None when the
    target cannot be handled this way (then trace globally)."""
    try:
        functions = find_targets(target_file, is_target)
    except Exception:
        return None
    if not functions:
        return None
    codes = {fn.__code__ for fn in functions}
    if len(codes) != 1:
        return None
    code = codes.pop()
    if code.co_freevars or code.co_flags & _SUSPENDING:
        return None

    originals = []
    for fn in functions:
        copy = types.FunctionType(code, fn.__globals__, fn.__name__, fn.__defaults__, None)
        copy.__kwdefaults__ = fn.__kwdefaults__
        copy.__qualname__ = fn.__qualname__
        originals.append(copy)

    def first_call(frame, event, arg):
        # The first call after `enter` switched tracing on is the target's own frame: it gets the
        # local trace function, and every call below it the no-op, so the helpers the target calls
        # cost no Python call each (the target's recursive calls come back through `enter`).
        result = global_trace(frame, event, arg)
        if frame.f_code is code:
            sys.settrace(_NO_TRACE)
        return result

    def enter(index, args, kwargs):
        original = originals[index]
        previous = sys.gettrace()
        if previous is global_trace:
            return original(*args, **kwargs)
        sys.settrace(first_call)
        try:
            return original(*args, **kwargs)
        finally:
            sys.settrace(previous)

    patched = []
    try:
        for index, fn in enumerate(functions):
            tramp = _trampoline(code, index)
            trampolines.add(tramp)
            fn.__code__ = tramp
            patched.append(fn)
    except Exception:
        for fn in patched:
            fn.__code__ = code
        return None
    setattr(builtins, _HOOK, enter)
    # Each call of the target now takes three frames (trampoline, enter, the target itself):
    # leave recursion the same depth it had untraced.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(limit * 3)

    def uninstall():
        if sys.gettrace() is _NO_TRACE or sys.gettrace() is first_call:
            sys.settrace(None)
        for fn in patched:
            try:
                fn.__code__ = code
            except Exception:
                pass
        if getattr(builtins, _HOOK, None) is enter:
            delattr(builtins, _HOOK)
        if sys.getrecursionlimit() == limit * 3:
            sys.setrecursionlimit(limit)
        if sys.gettrace() is global_trace:
            sys.settrace(None)

    return uninstall


# A trace function written in C that takes (frame, event, arg) and returns None without doing
# anything: object.__init__ bound to a str ignores extra arguments when the type has its own
# __new__. Calls below the target get it, which keeps line events on for the target's frame while
# every other call costs no Python-level call.
_NO_TRACE = "".__init__


def _trampoline(code, index):
    """A code object with the target's name, file and first line whose body hands the call to
    `enter` (found in builtins, so the module's namespace is left alone)."""
    source = "def %s(*args, **kwargs): return %s(%d, args, kwargs)\n" % (code.co_name, _HOOK, index)
    namespace = {}
    exec(compile(source, code.co_filename, "exec"), namespace)
    tramp = namespace[code.co_name].__code__
    changes = {"co_firstlineno": code.co_firstlineno}
    if hasattr(code, "co_qualname"):
        changes["co_qualname"] = code.co_qualname
    return tramp.replace(**changes)


# ---------------------------------------------------------------------------------------------
# Installing a backend: shared by ducktrace_tracer, ducktrace_spectra and ducktrace_calls


def target_matcher(plan):
    """The test for the target's code objects, from a TracePlan's file, name and firstLine: the
    same name, a first line at most 50 lines above the plan's (decorators come first), the same
    file once links are resolved, and never a trampoline."""
    target_file = os.path.realpath(plan["file"])
    name = plan["name"]
    first_line = int(plan["firstLine"])
    real_paths = {}

    def is_target(code):
        if code.co_name != name or code in trampolines:
            return False
        if not (first_line - 50 <= code.co_firstlineno <= first_line):
            return False
        filename = code.co_filename
        real = real_paths.get(filename)
        if real is None:
            try:
                real = os.path.realpath(filename)
            except Exception:
                real = filename
            real_paths[filename] = real
        return real == target_file

    return is_target



def monitoring_wanted():
    """sys.monitoring (3.12+), unless DUCKTRACE_TRACER_BACKEND=settrace asks for the older backend."""
    return sys.version_info >= (3, 12) and os.environ.get("DUCKTRACE_TRACER_BACKEND") != "settrace"


def claim_monitoring_tool(name):
    """A free sys.monitoring tool id, claimed under `name`; None when all are taken (a debugger,
    coverage)."""
    mon = sys.monitoring
    tool = next((t for t in (4, 3, 2, 1, 5) if mon.get_tool(t) is None), None)
    if tool is not None:
        mon.use_tool_id(tool, name)
    return tool


def start_monitoring(tool, callbacks, events, local_codes=()):
    """Registers `callbacks` ({event: function}) and switches `events` on for every code object.
    Returns the uninstall function: events off (the local events of the code objects in
    `local_codes` too, read when it runs), callbacks removed, the tool id freed."""
    mon = sys.monitoring
    for event, fn in callbacks.items():
        mon.register_callback(tool, event, fn)
    mon.set_events(tool, events)

    def uninstall():
        mon.set_events(tool, 0)
        for code in list(local_codes):
            try:
                mon.set_local_events(tool, code, 0)
            except Exception:
                pass
        for event in callbacks:
            mon.register_callback(tool, event, None)
        mon.free_tool_id(tool)

    return uninstall


class Backend:
    """The one backend a tool has installed: sys.monitoring when it is wanted and a tool id is
    free, else the tool's fallback (sys.settrace, sys.setprofile). `uninstall` switches it off."""

    def __init__(self, tool_name):
        self.tool_name = tool_name
        self._uninstall = None

    def install(self, monitoring, fallback):
        """`monitoring(tool)` gives ({event: callback}, events, local_codes) for a claimed tool id
        (see start_monitoring); `fallback()` installs the other backend and gives (uninstall,
        backend name). Returns the name of the backend installed: "monitoring" or the fallback's."""
        if monitoring_wanted():
            tool = claim_monitoring_tool(self.tool_name)
            if tool is not None:
                callbacks, events, local_codes = monitoring(tool)
                self._uninstall = start_monitoring(tool, callbacks, events, local_codes)
                return "monitoring"
        self._uninstall, name = fallback()
        return name

    def uninstall(self):
        """Switches the backend off, once."""
        fn, self._uninstall = self._uninstall, None
        if fn is not None:
            fn()


def warn(who, message):
    """A line on stderr that never fails the test."""
    try:
        sys.stderr.write("%s: %s\n" % (who, message))
    except Exception:
        pass


def split_command_line(args, usage):
    """`--name VALUE ... -- COMMAND...` as ({name: value}, [COMMAND...]); exits with `usage` when
    there is no `--`."""
    if "--" not in args:
        raise SystemExit(usage)
    split = args.index("--")
    options, command = args[:split], args[split + 1:]
    opts = {}
    for i in range(0, len(options), 2):
        opts[options[i].lstrip("-")] = options[i + 1] if i + 1 < len(options) else ""
    return opts, command
