"""Ducktrace's Python tracer: a value as text, without running any of the program's code.

No __repr__, no __getattr__, no properties: containers are read structurally (their length, a
head and a tail), instances by their __dict__ and slots, through the descriptors of `type` and
`object` themselves. The tracer renders every variable after each block with `Renderer.render`.
"""
import types
from collections import deque

# Our own references to the builtins rendering uses: a test that monkey-patches builtins.len or
# builtins.type must not switch tracing off (module globals are found before builtins).
from builtins import (BaseException, all, bool, bytearray, bytes, complex, dict, float, frozenset, id, int, iter,  # noqa: A004
                      len, list, min, next, object, range, reversed, set, slice, str, tuple, type, zip)

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


def safe_fields(obj):
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
            return "<module %s>" % safe_fields(v).get("__name__", "?")
        if cls is range:
            return "range(%d, %d, %d)" % (v.start, v.stop, v.step) if v.step != 1 else "range(%d, %d)" % (v.start, v.stop)
        if _enum is not None and _enum.Enum in mro:
            fields = safe_fields(v)
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
            fields = safe_fields(v)
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


