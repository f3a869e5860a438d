// The JavaScript tracer's source rewrite and value rendering, without running a test: every
// function of the block fixtures is instrumented and must still compile with the same lines; the
// probes read only variables whose declaration has run; values render without running user code.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transformSync } from 'esbuild';
import { touchedSelfFields } from '../../src/core/trace/tracePlan';
import { instrumentFunction } from '../../src/core/trace/jsInstrument';
import { Renderer } from '../../src/host/tracers/js/jsRender';
import { parseFixture, parseSource } from './support/fixtures';

function compiles(text: string, loader: 'js' | 'ts' | 'tsx'): void {
  transformSync(text, { loader });
}

for (const fixture of ['constructs.js', 'constructs.ts', 'component.tsx']) {
  test(`every function of blocks/${fixture} is instrumented: same lines, every block probed, still compiles`, async () => {
    const parsed = await parseFixture('blocks', fixture);
    try {
      const lineCount = parsed.source.split('\n').length;
      let count = 0;
      for (const fn of parsed.functions) {
        const blocks = parsed.blocks(fn.qualifiedName);
        const text = parsed.source.slice(fn.node.startIndex, fn.node.endIndex);
        const out = instrumentFunction(parsed.source, fn, blocks, touchedSelfFields(text, 'javascript'));
        assert.equal(out.text.split('\n').length, lineCount, fn.qualifiedName);
        assert.deepEqual(out.unprobed, [], fn.qualifiedName);
        assert.equal(out.probes.length, blocks.length, fn.qualifiedName);
        assert.doesNotThrow(() => compiles(out.text, fixture.endsWith('.tsx') ? 'tsx' : fixture.endsWith('.ts') ? 'ts' : 'js'), fn.qualifiedName);
        count++;
      }
      assert.ok(count > 5, `${count} functions`);
    } finally {
      parsed.tree.delete();
    }
  });
}

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
  assert.equal(out.text.split('\n').length, source.split('\n').length);
});

test('a braceless body gets braces; a switch body reads its names through a guard', async () => {
  const source = 'function g(n) {\n  if (n) n--; else n++;\n  switch (n) { case 1: let z = 1; break; default: return z; }\n}';
  const out = await instrument(source, 'g');
  const lines = out.text.split('\n');
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
