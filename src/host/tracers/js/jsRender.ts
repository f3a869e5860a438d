// Renders a JavaScript value for the trace without running user code, bounded like the Python
// tracer's renderings (ducktrace_tracer.py): no getters (own data properties only, read through
// property descriptors), no toString/inspect/toJSON, Proxies detected and never touched, containers
// as their first 6 and last 3 items with `…(N more)`, nesting cut at depth 3, cycles marked, the
// whole text cut at `maxChars`. Built-in internals are read through the intrinsic prototype
// methods captured at load time, so a monkey-patched `Map.prototype.entries` changes nothing.

import { types } from 'node:util';

export interface RenderedValue {
  readonly type: string;
  readonly text: string;
  readonly length?: number;
}

const getProto = Reflect.getPrototypeOf;
const ownDesc = Reflect.getOwnPropertyDescriptor;
const ownKeys = Reflect.ownKeys;
const fnToString = Function.prototype.toString;
const getter = (proto: object, name: string) => ownDesc(proto, name)?.get as (this: unknown) => unknown;
const mapSize = getter(Map.prototype, 'size') as (this: Map<unknown, unknown>) => number;
const setSize = getter(Set.prototype, 'size') as (this: Set<unknown>) => number;
const mapEntries = Map.prototype.entries;
const setValues = Set.prototype.values;
const mapIterNext = getProto(new Map().entries()) as { next: () => IteratorResult<[unknown, unknown]> };
const setIterNext = getProto(new Set().values()) as { next: () => IteratorResult<unknown> };
const mapNext = mapIterNext.next;
const setNext = setIterNext.next;
const typedArrayProto = getProto(Uint8Array.prototype) as object;
const typedLength = getter(typedArrayProto, 'length') as (this: unknown) => number;
const bufferByteLength = getter(ArrayBuffer.prototype, 'byteLength') as (this: unknown) => number;
const regexpSource = getter(RegExp.prototype, 'source') as (this: unknown) => string;
const regexpFlags = ['hasIndices', 'global', 'ignoreCase', 'multiline', 'dotAll', 'unicode', 'unicodeSets', 'sticky'].map((name, i) => [
  'dgimsuvy'[i],
  ownDesc(RegExp.prototype, name)?.get as ((this: unknown) => boolean) | undefined,
]) as [string, ((this: unknown) => boolean) | undefined][];
const dateIso = Date.prototype.toISOString;
const dateTime = Date.prototype.getTime;
const symbolToString = Symbol.prototype.toString;
const errorProto = Error.prototype;
/** Maps and sets bigger than this show only their first items: their last ones cost a full walk. */
const fullWalkLimit = 10_000;

function ownData(obj: object, key: PropertyKey): { value: unknown } | 'accessor' | undefined {
  const d = ownDesc(obj, key);
  if (!d) return undefined;
  return 'value' in d ? { value: d.value } : 'accessor';
}

function stringName(fn: unknown): string | undefined {
  if (typeof fn !== 'function' || types.isProxy(fn)) return undefined;
  const name = ownData(fn, 'name');
  return name !== 'accessor' && typeof name?.value === 'string' && name.value ? name.value : undefined;
}

/** The constructor's name along the prototype chain, read from data properties only. */
export function className(value: object): string {
  let proto: object | null = value;
  for (let i = 0; i < 8; i++) {
    if (types.isProxy(proto)) return 'Proxy';
    proto = getProto(proto as object);
    if (proto === null) return 'Object';
    if (types.isProxy(proto)) return 'Object';
    const ctor = ownData(proto, 'constructor');
    if (ctor && ctor !== 'accessor') {
      const name = stringName(ctor.value);
      if (name) return name;
    }
  }
  return 'Object';
}

function isPlainObject(value: object): boolean {
  const proto = getProto(value);
  return proto === null || proto === Object.prototype || (!types.isProxy(proto) && getProto(proto) === null && className(value) === 'Object');
}

function isError(value: object): boolean {
  if (types.isNativeError(value)) return true;
  let proto: object | null = value;
  for (let i = 0; i < 10 && proto; i++) {
    if (types.isProxy(proto)) return false;
    proto = getProto(proto);
    if (proto === errorProto) return true;
  }
  return false;
}

const identifier = /^[A-Za-z_$][\w$]*$/;

/** Characters quoteString escapes: a string without any is quoted as it is. */
const needsEscape = /['\\\x00-\x1f\x7f]/;

export function quoteString(s: string): string {
  if (!needsEscape.test(s)) return `'${s}'`;
  let out = "'";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + "'";
}

/** An array's rendering and what it was made from: its prototype, length and the shown items (primitives). */
interface RenderedArray {
  readonly proto: object | null;
  readonly length: number;
  readonly items: readonly unknown[];
  readonly out: RenderedValue;
}

const cachedStringLimit = 1000;
/** The `seen` set of a primitive's rendering, which never adds to it. */
const noneSeen: Set<object> = new Set();
const isPrimitive = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function');

export class Renderer {
  /**
   * Arrays rendered before, by identity (never a Proxy): a loop's unchanged array is rendered once
   * instead of at every step. A hit needs the same prototype (the class name), length and shown
   * items (own data properties holding the same primitives), which is all the text is made of.
   * The renderings returned may be shared between steps: they are never modified.
   */
  private readonly arrays = new WeakMap<object, RenderedArray>();

  constructor(
    private readonly maxChars = 160,
    private readonly maxDepth = 3,
    private readonly head = 6,
    private readonly tail = 3,
  ) {}

  render(value: unknown): RenderedValue {
    switch (typeof value) {
      // The common primitives the short way (what renderAny makes of them).
      case 'number':
      case 'boolean':
      case 'undefined':
        return { type: typeof value, text: this.cut(this.text(value, 0, noneSeen)) };
      case 'string':
        return { type: 'string', text: this.cut(this.text(value, 0, noneSeen)), length: value.length };
      case 'object': {
        if (value === null) break;
        const hit = this.arrays.get(value);
        if (hit) {
          try {
            const shown = getProto(value) === hit.proto ? this.shownPrimitives(value as unknown[]) : undefined;
            if (shown && shown.length === hit.length && shown.items.length === hit.items.length && shown.items.every((item, i) => Object.is(item, hit.items[i]))) return hit.out;
          } catch {
            // rendered afresh below
          }
        }
        if (Array.isArray(value) && !types.isProxy(value)) {
          try {
            const shown = this.shownPrimitives(value);
            const out = this.renderAny(value);
            if (shown) this.arrays.set(value, { proto: getProto(value), ...shown, out });
            return out;
          } catch {
            // read again the long way, which says what could not be read
          }
        }
      }
    }
    return this.renderAny(value);
  }

  /**
   * The items an array's text shows, read through their descriptors, when all are primitives
   * (and no long strings, which a cache entry would keep alive); else undefined.
   */
  private shownPrimitives(value: unknown[]): { length: number; items: unknown[] } | undefined {
    const n = this.arrayLength(value);
    const items: unknown[] = [];
    const all = n <= this.head + this.tail;
    for (let k = 0, count = all ? n : this.head + this.tail; k < count; k++) {
      const d = ownDesc(value, all || k < this.head ? k : n - this.head - this.tail + k);
      if (!d || !('value' in d) || !isPrimitive(d.value) || (typeof d.value === 'string' && d.value.length > cachedStringLimit)) return undefined;
      items.push(d.value);
    }
    return { length: n, items };
  }

  private renderAny(value: unknown): RenderedValue {
    let type: string;
    let text: string;
    let length: number | undefined;
    try {
      type = this.typeLabel(value);
    } catch {
      type = 'unknown';
    }
    try {
      text = this.text(value, 0, new Set());
    } catch (e) {
      text = `<unreadable: ${e !== null && typeof e === 'object' ? className(e) : typeof e}>`;
    }
    text = this.cut(text);
    try {
      length = this.lengthOf(value);
    } catch {
      length = undefined;
    }
    return length === undefined ? { type, text } : { type, text, length };
  }

  private cut(text: string): string {
    return text.length > this.maxChars ? text.slice(0, this.maxChars - 1) + '…' : text;
  }

  private typeLabel(value: unknown): string {
    if (value === null) return 'null';
    const t = typeof value;
    if (t !== 'object') return t;
    if (types.isProxy(value)) return 'Proxy';
    return className(value as object);
  }

  private lengthOf(value: unknown): number | undefined {
    if (typeof value === 'string') return value.length;
    if (value === null || typeof value !== 'object' || types.isProxy(value)) return undefined;
    if (Array.isArray(value)) return this.arrayLength(value);
    if (types.isTypedArray(value)) return typedLength.call(value);
    if (types.isMap(value)) return mapSize.call(value as Map<unknown, unknown>);
    if (types.isSet(value)) return setSize.call(value as Set<unknown>);
    if (isPlainObject(value)) return this.fieldKeys(value).length;
    return undefined;
  }

  private arrayLength(value: object): number {
    const d = ownData(value, 'length');
    return d && d !== 'accessor' && typeof d.value === 'number' ? d.value : 0;
  }

  /** Own enumerable string keys, in property order. */
  private fieldKeys(value: object): string[] {
    const keys: string[] = [];
    for (const key of ownKeys(value)) {
      if (typeof key !== 'string') continue;
      const d = ownDesc(value, key);
      if (d?.enumerable) keys.push(key);
    }
    return keys;
  }

  private field(value: object, key: string, depth: number, seen: Set<object>): string {
    const d = ownData(value, key);
    if (d === 'accessor') return '<getter>';
    return d ? this.text(d.value, depth + 1, seen) : '<empty>';
  }

  /** `[a, b, …(N more), y, z]` from the indices to show. */
  private seq(n: number, item: (i: number) => string): string[] {
    const parts: string[] = [];
    if (n <= this.head + this.tail) {
      for (let i = 0; i < n; i++) parts.push(item(i));
      return parts;
    }
    for (let i = 0; i < this.head; i++) parts.push(item(i));
    parts.push(`…(${n - this.head - this.tail} more)`);
    for (let i = n - this.tail; i < n; i++) parts.push(item(i));
    return parts;
  }

  private text(v: unknown, depth: number, seen: Set<object>): string {
    switch (typeof v) {
      case 'undefined':
        return 'undefined';
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        return Object.is(v, -0) ? '-0' : String(v);
      case 'bigint': {
        const bits = (v < 0n ? -v : v).toString(16).length * 4;
        return bits <= 2000 ? `${String(v)}n` : `<bigint of ${bits} bits>`;
      }
      case 'string': {
        const n = v.length;
        return n <= 60 ? quoteString(v) : `${quoteString(v.slice(0, 40))}…${quoteString(v.slice(n - 12))}`;
      }
      case 'symbol':
        return symbolToString.call(v);
      case 'function': {
        if (types.isProxy(v)) return '<Proxy>';
        const name = stringName(v) ?? '(anonymous)';
        const source = fnToString.call(v);
        return /^class[\s{]/.test(source) ? `<class ${name}>` : `<function ${name}>`;
      }
    }
    if (v === null) return 'null';
    const obj = v as object;
    if (types.isProxy(obj)) return '<Proxy>';
    const name = className(obj);
    if (seen.has(obj)) return `<cycle ${name}>`;
    if (types.isDate(obj)) {
      return Number.isNaN(dateTime.call(obj)) ? 'Invalid Date' : `Date(${dateIso.call(obj)})`;
    }
    if (types.isRegExp(obj)) {
      return `/${regexpSource.call(obj)}/${regexpFlags.map(([flag, get]) => (get && get.call(obj) ? flag : '')).join('')}`;
    }
    if (types.isPromise(obj)) return `<${name}>`;
    if (types.isWeakMap(obj) || types.isWeakSet(obj) || obj instanceof WeakRef) return `<${name}>`;
    if (types.isArrayBuffer(obj) || types.isSharedArrayBuffer(obj)) return `${name}(${bufferByteLength.call(obj)})`;
    const isArray = Array.isArray(obj);
    const isMap = types.isMap(obj);
    const isSet = types.isSet(obj);
    const isTyped = types.isTypedArray(obj);
    const err = !isArray && !isMap && !isSet && !isTyped && isError(obj);
    const plain = !isArray && !isMap && !isSet && !isTyped && !err && isPlainObject(obj);
    if (depth >= this.maxDepth) {
      if (isArray) return name === 'Array' ? '[…]' : `${name} […]`;
      if (isMap || isSet) return `${name}(${isMap ? mapSize.call(obj as Map<unknown, unknown>) : setSize.call(obj as Set<unknown>)}) {…}`;
      if (isTyped) return `${name}(${typedLength.call(obj)}) […]`;
      return plain ? '{…}' : `${name} {…}`;
    }
    seen.add(obj);
    try {
      if (isArray) {
        const body = `[${this.seq(this.arrayLength(obj), (i) => this.field(obj, String(i), depth, seen)).join(', ')}]`;
        return name === 'Array' ? body : `${name} ${body}`;
      }
      if (isTyped) {
        const typed = obj as unknown as ArrayLike<unknown>;
        const n = typedLength.call(obj);
        return `${name}(${n}) [${this.seq(n, (i) => this.text(typed[i], depth + 1, seen)).join(', ')}]`;
      }
      if (isMap || isSet) return this.collection(obj, isMap, name, depth, seen);
      if (err) {
        const message = ownData(obj, 'message');
        const text = message && message !== 'accessor' ? this.text(message.value, depth + 1, seen) : '';
        return `${name}(${text})`;
      }
      const keys = this.fieldKeys(obj);
      const key = (k: string) => (identifier.test(k) ? k : quoteString(k));
      if (plain) {
        // Used as a dictionary, like Python's dict: first and last entries.
        return `{${this.seq(keys.length, (i) => `${key(keys[i])}: ${this.field(obj, keys[i], depth, seen)}`).join(', ')}}`;
      }
      // An instance, like Python's objects: its first fields.
      const shown = keys.slice(0, this.head + this.tail);
      const parts = shown.map((k) => `${key(k)}: ${this.field(obj, k, depth, seen)}`);
      if (keys.length > shown.length) parts.push(`…(${keys.length - shown.length} more fields)`);
      return `${name} {${parts.join(', ')}}`;
    } finally {
      seen.delete(obj);
    }
  }

  private collection(obj: object, isMap: boolean, name: string, depth: number, seen: Set<object>): string {
    const size = isMap ? mapSize.call(obj as Map<unknown, unknown>) : setSize.call(obj as Set<unknown>);
    const iterator = (isMap ? mapEntries : setValues).call(obj as Map<unknown, unknown> & Set<unknown>);
    const next = isMap ? mapNext : setNext;
    const item = (entry: unknown) =>
      isMap ? `${this.text((entry as [unknown, unknown])[0], depth + 1, seen)} => ${this.text((entry as [unknown, unknown])[1], depth + 1, seen)}` : this.text(entry, depth + 1, seen);
    const first: unknown[] = [];
    const last: unknown[] = [];
    const walkAll = size <= fullWalkLimit;
    const headCount = size <= this.head + this.tail ? size : this.head;
    for (let i = 0; i < size; i++) {
      const r = next.call(iterator) as IteratorResult<unknown>;
      if (r.done) break;
      if (i < headCount) first.push(r.value);
      else if (!walkAll) break;
      else if (i >= size - this.tail) last.push(r.value);
    }
    const parts = first.map(item);
    const more = size - first.length - last.length;
    if (more > 0) parts.push(`…(${more} more)`);
    parts.push(...last.map(item));
    return `${name}(${size}) {${parts.join(', ')}}`;
  }
}
