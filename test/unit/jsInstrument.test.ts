// The JavaScript tracer's source rewrite and value rendering, without running a test: every
// function of the block fixtures is instrumented (values and coverage modes) and must still compile
// with the same lines; the source map takes every position back to the original; the probes read
// only variables whose declaration has run; values render without running user code.

import assert from 'node:assert/strict';
import { SourceMap } from 'node:module';
import { test } from 'node:test';
import { transformSync } from 'esbuild';
import { touchedSelfFields } from '../../src/core/trace/tracePlan';
import { instrumentFunction } from '../../src/core/trace/jsInstrument';
import { Renderer } from '../../src/host/tracers/js/jsRender';
import { parseFixture, parseSource } from './support/fixtures';

function compiles(text: string, loader: 'js' | 'ts' | 'tsx'): void {
  transformSync(text, { loader });
}

/** The rewritten code without its source map comment (and the newline put before it when the source had none at its end). */
const codeOf = (text: string, source: string) => text.replace(new RegExp(`${source.endsWith('\n') ? '' : '\n'}//# sourceMappingURL=data:application/json;charset=utf-8;base64,[A-Za-z0-9+/=]+$`), '');

for (const fixture of ['constructs.js', 'constructs.ts', 'component.tsx']) {
  for (const mode of ['values', 'coverage'] as const) {
    test(`${mode}: every function of blocks/${fixture} is instrumented: same lines, every block probed, still compiles, mapped back`, async () => {
      const parsed = await parseFixture('blocks', fixture);
      try {
        const original = parsed.source.split('\n');
        let count = 0;
        for (const fn of parsed.functions) {
          const blocks = parsed.blocks(fn.qualifiedName);
          const text = parsed.source.slice(fn.node.startIndex, fn.node.endIndex);
          const out = instrumentFunction(parsed.source, fn, blocks, touchedSelfFields(text, 'javascript'), { mode, sourceName: fixture });
          const code = codeOf(out.text, parsed.source);
          assert.equal(code.split('\n').length, original.length, fn.qualifiedName);
          assert.equal(out.text.split('\n').length, original.length, 'the source map sits on the last line');
          assert.deepEqual(out.unprobed, [], fn.qualifiedName);
          assert.equal(out.probes.length, blocks.length, fn.qualifiedName);
          if (mode === 'coverage') assert.ok(out.probes.every((p) => p.slots.length === 0), 'coverage reads no values');
          assert.doesNotThrow(() => compiles(out.text, fixture.endsWith('.tsx') ? 'tsx' : fixture.endsWith('.ts') ? 'ts' : 'js'), fn.qualifiedName);
          assertMappedBack(original, code.split('\n'), out.map, fn.qualifiedName);
          count++;
        }
        assert.ok(count > 5, `${count} functions`);
      } finally {
        parsed.tree.delete();
      }
    });
  }
}

/**
 * Every mapping of a changed line points at the same character in the original, and the start of
 * every word of the original line is mapped (the inserted text maps to nothing of its own).
 */
function assertMappedBack(original: readonly string[], rewritten: readonly string[], map: object, where: string): void {
  const sourceMap = new SourceMap(map as ConstructorParameters<typeof SourceMap>[0]);
  for (let line = 0; line < original.length; line++) {
    if (original[line] === rewritten[line]) continue;
    const mapped = new Set<number>();
    for (let col = 0; col < rewritten[line]!.length; col++) {
      const e = sourceMap.findEntry(line, col) as { generatedLine?: number; generatedColumn?: number; originalLine?: number; originalColumn?: number };
      if (e.generatedLine !== line || e.generatedColumn !== col) continue;
      assert.equal(e.originalLine, line, `${where}: line ${line + 1} maps to its own line`);
      assert.equal(rewritten[line]![col], original[line]![e.originalColumn!], `${where}: ${line + 1}:${col + 1} maps to the same character at ${line + 1}:${e.originalColumn! + 1}`);
      mapped.add(e.originalColumn!);
    }
    for (const word of original[line]!.matchAll(/[A-Za-z_$][\w$]*/g)) assert.ok(mapped.has(word.index!), `${where}: '${word[0]}' at ${line + 1}:${word.index! + 1} is mapped`);
  }
}

test('coverage mode: each block is marked as it starts, headers before their condition, loops at each iteration too', async () => {
  const source = 'function f(xs) {\n  let n = 0;\n  for (const x of xs) if (x > 0) n++;\n  while (n > 3) n--;\n  return n;\n}\n';
  const parsed = await parseSource(source, 'javascript');
  try {
    const out = instrumentFunction(source, parsed.fn('f'), parsed.blocks('f'), [], { mode: 'coverage' });
    const lines = codeOf(out.text, source).split('\n');
    assert.match(lines[0]!, /^function f\(xs\) \{const __dtR=.*,__dtC=__dtR\.cov\(globalThis\);$/);
    assert.equal(lines[1], '  __dtR.c(__dtC,0);let n = 0;');
    assert.equal(lines[2], '  for (const x of (__dtR.c(__dtC,1),xs)) {__dtR.c(__dtC,1);if (__dtR.c(__dtC,2),x > 0) {__dtR.c(__dtC,3);n++;}}');
    assert.equal(lines[3], '  while (__dtR.c(__dtC,4),n > 3) {__dtR.c(__dtC,5);n--;}');
    assert.equal(lines[4], '  __dtR.c(__dtC,6);return n;');
    assert.equal(lines[5], '}', 'no try/finally in coverage mode');
  } finally {
    parsed.tree.delete();
  }
});

async function instrument(source: string, name: string) {
  const parsed = await parseSource(source, 'javascript');
  try {
    const fn = parsed.fn(name);
    const text = source.slice(fn.node.startIndex, fn.node.endIndex);
    return instrumentFunction(source, fn, parsed.blocks(name), touchedSelfFields(text, 'javascript'));
  } finally {
    parsed.tree.delete();
  }
}

const names = (probe: { slots: readonly { name: string }[] }) => probe.slots.map((s) => s.name);

test('probes never read a let/const in its temporal dead zone, and keep shadowing right', async () => {
  const source = [
    'function f(a, { b, c: [d] }, e = 1, ...rest) {',
    '  let x = a;',
    '  if (x) {',
    '    a++;',
    '    let x = 2;',
    '    const y = x;',
    '  }',
    '  for (const k of rest) { x += k; }',
    '  var late = 3;',
    '  return x;',
    '}',
  ].join('\n');
  const out = await instrument(source, 'f');
  assert.deepEqual(out.params, ['a', 'b', 'd', 'e', 'rest']);
  const byBlock = Object.fromEntries(out.probes.map((p) => [p.blockId, names(p)]));
  // b3 is `a++; let x = 2; const y = x;`: its probe runs after both declarations.
  assert.deepEqual(byBlock.b1, ['a', 'b', 'd', 'e', 'rest', 'x']);
  assert.deepEqual(byBlock.b3, ['a', 'b', 'd', 'e', 'rest', 'x', 'y']);
  assert.deepEqual(byBlock.b4, ['a', 'b', 'd', 'e', 'rest', 'x', 'k']);
  assert.deepEqual(byBlock.b6, ['a', 'b', 'd', 'e', 'rest', 'x', 'late']);
  // The lines stay; the braceless parts get braces on their own line.
  assert.equal(codeOf(out.text, source).split('\n').length, source.split('\n').length);
});

test('a braceless body gets braces; a switch body reads its names through a guard', async () => {
  const source = 'function g(n) {\n  if (n) n--; else n++;\n  switch (n) { case 1: let z = 1; break; default: return z; }\n}';
  const out = await instrument(source, 'g');
  const lines = codeOf(out.text, source).split('\n');
  assert.match(lines[1], /^  if \(__dtR\.h\(__dtC,\d+,\(__dtC\.b=\d+,\(n\)\),\[n\]\)\) \{__dtC\.b=\d+;n--;;__dtR\.s\(__dtC,\d+,\[n\]\);\} else \{__dtC\.b=\d+;n\+\+;;__dtR\.s\(__dtC,\d+,\[n\]\);\}$/);
  assert.match(lines[2], /return __dtR\.ret\(__dtC,\d+,\(z\),\[n,__dtR\.safe\(\(\)=>z\)\]\)/);
});

test('values render like the Python tracer bounds them, with no user code run', () => {
  const r = new Renderer();
  class Point {
    x = 1;
    y = 2;
    get boom(): number {
      throw new Error('getter ran');
    }
  }
  const accessor = {};
  Object.defineProperty(accessor, 'live', { get: () => assert.fail('getter ran'), enumerable: true });
  const cyclic: Record<string, unknown> = { k: [1, 2, 3] };
  cyclic.self = cyclic;
  const proxy = new Proxy({}, { get: () => assert.fail('trap ran'), ownKeys: () => assert.fail('trap ran'), getPrototypeOf: () => assert.fail('trap ran') });
  const cases: [unknown, { type: string; text: string; length?: number }][] = [
    [undefined, { type: 'undefined', text: 'undefined' }],
    [null, { type: 'null', text: 'null' }],
    [NaN, { type: 'number', text: 'NaN' }],
    [-0, { type: 'number', text: '-0' }],
    [-Infinity, { type: 'number', text: '-Infinity' }],
    [12n, { type: 'bigint', text: '12n' }],
    ["it's", { type: 'string', text: "'it\\'s'", length: 4 }],
    ['x'.repeat(100), { type: 'string', text: `'${'x'.repeat(40)}'…'${'x'.repeat(12)}'`, length: 100 }],
    [Array.from({ length: 50 }, (_, i) => i), { type: 'Array', text: '[0, 1, 2, 3, 4, 5, …(41 more), 47, 48, 49]', length: 50 }],
    [[1, , 3], { type: 'Array', text: '[1, <empty>, 3]', length: 3 }], // eslint-disable-line no-sparse-arrays
    [new Point(), { type: 'Point', text: 'Point {x: 1, y: 2}' }],
    [accessor, { type: 'Object', text: '{live: <getter>}', length: 1 }],
    [cyclic, { type: 'Object', text: '{k: [1, 2, 3], self: <cycle Object>}', length: 2 }],
    [proxy, { type: 'Proxy', text: '<Proxy>' }],
    [new Map([['a', { deep: { deeper: { deepest: 1 } } }]]), { type: 'Map', text: "Map(1) {'a' => {deep: {deeper: {…}}}}", length: 1 }],
    [new Set(Array.from({ length: 12 }, (_, i) => i)), { type: 'Set', text: 'Set(12) {0, 1, 2, 3, 4, 5, …(3 more), 9, 10, 11}', length: 12 }],
    [new RangeError('bad'), { type: 'RangeError', text: "RangeError('bad')" }],
    [Point, { type: 'function', text: '<class Point>' }],
    [function named() {}, { type: 'function', text: '<function named>' }],
    [new Uint8Array([1, 2]), { type: 'Uint8Array', text: 'Uint8Array(2) [1, 2]', length: 2 }],
    [new Date(0), { type: 'Date', text: 'Date(1970-01-01T00:00:00.000Z)' }],
    [/a+b/gi, { type: 'RegExp', text: '/a+b/gi' }],
    [Object.create(null), { type: 'Object', text: '{}', length: 0 }],
  ];
  for (const [value, expected] of cases) assert.deepEqual(r.render(value), expected, expected.text);
  const long = r.render({ text: 'y'.repeat(300), more: 'z'.repeat(300), again: 'w'.repeat(300) });
  assert.equal(long.text.length, 160);
  assert.ok(long.text.endsWith('…'));
});

test('an array rendered again after it changed in place shows its new value (the rendering cache reuses nothing stale)', () => {
  const r = new Renderer();
  const fresh = (value: unknown) => new Renderer().render(value);
  const words = Array.from({ length: 40 }, (_, i) => `w${i}`);
  const nested = [1, [2, 3]];
  class Words extends Array {}
  const seen: string[] = [];
  const changes: (() => void)[] = [
    () => {},
    () => (words[0] = 'changed'),
    () => (words[38] = 'tail'),
    () => (words[20] = 'hidden'), // not shown: the same text
    () => words.push('pushed'),
    () => (words.length = 5),
    () => (words[1] = 2 as unknown as string),
    () => Object.defineProperty(words, 2, { get: () => assert.fail('getter ran'), enumerable: true }),
    () => Object.setPrototypeOf(words, Words.prototype),
    () => ((nested[1] as number[])[0] = 20),
  ];
  for (const change of changes) {
    change();
    for (const value of [words, nested]) {
      const got = r.render(value);
      assert.deepEqual(got, fresh(value));
      seen.push(got.text);
    }
  }
  assert.ok(seen.includes("['changed', 'w1', 'w2', 'w3', 'w4', 'w5', …(31 more), 'w37', 'tail', 'w39']"), seen.join('\n'));
  assert.ok(seen.includes('[1, [20, 3]]'), seen.join('\n'));
  assert.ok(seen.some((t) => t.startsWith('Words [')), seen.join('\n'));
  assert.equal(r.render(new Proxy(words, {})).text, '<Proxy>');
});
