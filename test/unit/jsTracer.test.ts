// The JavaScript tracer on a fixture project run by `node --test`: exact values per block for
// CommonJS and ES modules, a method with `this` fields (public and private), an exception through
// recursion, a closure and an expression-bodied arrow, hostile values, an endless loop, a hang, the
// test's own outcome, and the CLI.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { TraceBudget } from '../../src/core/trace/traceModel';
import { formatTrace } from '../../src/core/trace/traceText';
import { nodeTestArgsFor, runJavaScriptTestUntraced, traceJavaScriptTest } from '../../src/host/tracers/jsTracer';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import { fixtureProject } from '../support/fixtureDeps';
import { fixturePath, parser, repoRoot } from './support/fixtures';

const cwd = fixturePath('trace', 'js');

async function trace(testId: string, file: string, fn: string, budget: Partial<TraceBudget> = {}) {
  const target = await resolveTarget(cwd, { file, function: fn }, budget, parser);
  return traceJavaScriptTest(target, { cwd, test: testId });
}

const v = (type: string, text: string, length?: number) => (length === undefined ? { type, text } : { type, text, length });
const steps = (rows: [string, number, Record<string, ReturnType<typeof v>>][]) => rows.map(([blockId, iteration, vars]) => ({ blockId, iteration, vars }));

const items = v('Array', '[10, 20]', 2);
const cartSteps = steps([
  ['b1', 1, { tax: v('number', '0'), subtotal: v('number', '0'), 'this.items': items, 'this.discount': v('number', '5') }],
  ['b2', 1, { tax: v('number', '0'), subtotal: v('number', '0'), price: v('number', '10'), 'this.items': items, 'this.discount': v('number', '5') }],
  ['b3', 1, { tax: v('number', '0'), subtotal: v('number', '10'), price: v('number', '10'), 'this.items': items, 'this.discount': v('number', '5') }],
  ['b2', 2, { tax: v('number', '0'), subtotal: v('number', '10'), price: v('number', '20'), 'this.items': items, 'this.discount': v('number', '5') }],
  ['b3', 2, { tax: v('number', '0'), subtotal: v('number', '30'), price: v('number', '20'), 'this.items': items, 'this.discount': v('number', '5') }],
  ['b4', 1, { tax: v('number', '0'), subtotal: v('number', '30'), 'this.items': items, 'this.discount': v('number', '5') }],
  ['b5', 1, { tax: v('number', '0'), subtotal: v('number', '25'), 'this.items': items, 'this.discount': v('number', '5') }],
  ['b6', 1, { tax: v('number', '0'), subtotal: v('number', '25'), 'this.items': items, 'this.discount': v('number', '5') }],
]);

test('only the selected test runs: its name as an exact, escaped regex', () => {
  assert.deepEqual(nodeTestArgsFor('a.test.js::adds (1 + 2) [fast]'), ['--test-name-pattern=^adds \\(1 \\+ 2\\) \\[fast\\]$', 'a.test.js']);
  assert.deepEqual(nodeTestArgsFor('a.test.js'), ['a.test.js']);
  // Node 20 matches a test's own name: of FILE::SUITE::NAME (a test id), the name alone.
  assert.deepEqual(nodeTestArgsFor('a.test.js::suite::inner'), ['--test-name-pattern=^inner$', 'a.test.js']);
});

// Seen on a real package (fast-content-type-parse): its tests are subtests of top-level tests,
// `test('parse', async (t) => { await t.test('should unquote parameter values', ...) })`. With the
// subtest's name alone node skipped the parent, so nothing ran and the trace was empty.
test('a subtest of a test: its parent test gets a pattern of its own; a describe suite does not', () => {
  const text = "const { test, describe } = require('node:test')\ntest('parse', async (t) => {\n  await t.test('unquotes', () => {})\n})\ndescribe(\"suite\", () => { it('inner', () => {}) })\n";
  assert.deepEqual(nodeTestArgsFor('a.test.js::parse::unquotes', text), ['--test-name-pattern=^parse$', '--test-name-pattern=^unquotes$', 'a.test.js']);
  assert.deepEqual(nodeTestArgsFor('a.test.js::suite::inner', text), ['--test-name-pattern=^inner$', 'a.test.js']);
  assert.deepEqual(nodeTestArgsFor('a.test.js::unknown parent::unquotes', text), ['--test-name-pattern=^unquotes$', 'a.test.js']);
});

test('CommonJS: a method with the this fields it touches, a for-of loop and an if, after every block', async () => {
  const run = await trace('shapes.test.js::cart total', 'shapes.js', 'Cart.total');
  assert.equal(run.trace.calls.length, 1, run.stderr + run.stdout);
  const call = run.trace.calls[0];
  assert.deepEqual(call.args, { this: v('Cart', 'Cart {items: [10, 20], discount: 5}'), tax: v('number', '0') });
  assert.deepEqual(call.steps, cartSteps);
  assert.deepEqual(call.returned, v('number', '25'));
  assert.equal(run.trace.truncated, false);
  assert.equal(run.exitCode, 1, 'the test still fails, with its own exit code');
  assert.match(run.stdout, /25 !== 30/);
  assert.match(run.stdout, /# pass 0\n# fail 1\n/, 'only the selected test ran (the others are skipped)');
});

test('ES module: a while loop over a private field', async () => {
  const run = await trace('geometry.test.mjs::perimeter', 'geometry.mjs', 'Polygon.perimeter');
  const sides = v('Array', '[1, 2, 3]', 3);
  const row = (block: string, n: number, sum: number, i: number): [string, number, Record<string, ReturnType<typeof v>>] => [block, n, { sum: v('number', String(sum)), i: v('number', String(i)), 'this.#sides': sides }];
  assert.deepEqual(
    run.trace.calls[0].steps,
    steps([row('b1', 1, 0, 0), row('b2', 1, 0, 0), row('b3', 1, 1, 1), row('b2', 2, 1, 1), row('b3', 2, 3, 2), row('b2', 3, 3, 2), row('b3', 3, 6, 3), row('b2', 4, 6, 3), row('b4', 1, 6, 3)]),
  );
  assert.deepEqual(run.trace.calls[0].args, { this: v('Polygon', "Polygon {name: 'polygon'}") });
  assert.deepEqual(run.trace.calls[0].returned, v('number', '6'));
  assert.equal(run.exitCode, 1);
});

test('an exception: recursion, one call per level with its depth, the block it was in, each raising', async () => {
  const run = await trace('shapes.test.js::depth throws', 'shapes.js', 'depth');
  assert.deepEqual(
    run.trace.calls.map((c) => [c.depth, c.args.n.text, c.steps.map((s) => s.blockId).join(','), c.threw?.text]),
    [
      [0, '3', 'b1,b3', "RangeError('bottom')"],
      [1, '2', 'b1,b3', "RangeError('bottom')"],
      [2, '1', 'b1,b3', "RangeError('bottom')"],
      [3, '0', 'b1,b2', "RangeError('bottom')"],
    ],
  );
  assert.equal(run.exitCode, 0);
  const deep = await trace('shapes.test.js::depth throws', 'shapes.js', 'depth', { maxDepth: 2 });
  assert.equal(deep.trace.calls.length, 2);
  assert.ok(deep.trace.truncated && deep.trace.truncated.droppedCalls === 2);
  assert.match(deep.trace.truncated.notes.join('\n'), /recursion deeper than 2 levels cut/);
});

test('a closure sees the variables it closes over; an expression-bodied arrow and an ES module arrow that throws', async () => {
  const bump = await trace('shapes.test.js::counter', 'shapes.js', 'makeCounter.bump');
  assert.deepEqual(
    bump.trace.calls.map((c) => [c.args, c.steps, c.returned]),
    [6, 7].map((n) => [{ by: v('number', '1') }, steps([['b1', 1, { by: v('number', '1'), count: v('number', String(n)) }]]), v('number', String(n))]),
  );
  const scale = await trace('shapes.test.js::scale', 'shapes.js', 'scale');
  const call = scale.trace.calls[0];
  assert.deepEqual(call.steps, steps([['b1', 1, { xs: v('Array', '[1, 2]', 2), k: v('number', '3') }]]));
  assert.deepEqual(call.returned, v('Array', '[3, 6]', 2));
  const average = await trace('geometry.test.mjs::average of nothing', 'geometry.mjs', 'average');
  assert.deepEqual(average.trace.calls[0].steps.map((s) => s.blockId), ['b1', 'b2']);
  assert.deepEqual(average.trace.calls[0].threw, v('Error', "Error('empty')"));
  assert.equal(average.exitCode, 0);
});

test('values are rendered without running user code: getters, toString, Proxies, cycles, long strings and arrays', async () => {
  const run = await trace('shapes.test.js::mixed values', 'shapes.js', 'mixed');
  assert.equal(run.exitCode, 0, run.stdout + run.stderr);
  const [step] = run.trace.calls[0].steps;
  assert.deepEqual(step.vars, {
    h: v('Hostile', 'Hostile {visible: 1}'),
    data: v('Object', '{k: [1, 2, 3], n: null, self: <cycle Object>}', 3),
    s: v('string', `'${'x'.repeat(40)}'…'${'x'.repeat(12)}'`, 100),
    big: v('Array', '[0, 1, 2, 3, 4, 5, …(41 more), 47, 48, 49]', 50),
    weird: v('Array', '[NaN, Infinity, -0, 1000000000000000000000000000000n]', 4),
    m: v('Map', "Map(2) {'a' => 1, 'b' => Set(1) {2}}", 2),
    p: v('Proxy', '<Proxy>'),
  });
});

test('a switch: names a case may skip are read safely', async () => {
  const run = await trace('shapes.test.js::classify', 'shapes.js', 'classify');
  assert.deepEqual(
    run.trace.calls.map((c) => [c.steps.map((s) => `${s.blockId}:${Object.keys(s.vars).join('+')}`).join(' '), c.returned?.text]),
    [
      ['b1:x b2:x+doubled b3:x+doubled b5:x+doubled b7:x', "'other'"],
      ['b1:x b2:x+doubled b3:x+doubled b4:x+doubled', "'big'"],
    ],
  );
});

test('an endless loop is stopped at the step budget and its trace still comes back', async () => {
  const run = await trace('shapes.test.js::spin forever', 'shapes.js', 'spin', { maxExecutedSteps: 500, maxSteps: 20 });
  assert.equal(run.exitCode, 124);
  assert.ok(run.trace.truncated);
  assert.equal(run.trace.truncated.stoppedBy, 'steps');
  const call = run.trace.calls[0];
  assert.equal(call.unfinished, true);
  assert.equal(call.executedSteps, 500);
  assert.equal(call.steps[call.steps.length - 1].vars.n.text, '-497');
  assert.equal(run.trace.stats.steps, 20);
  assert.match(run.stderr + run.stdout, /ducktrace: stopped the program after 500 executed steps/);
});

test('a test that hangs after the function ran: the host stops it at its time limit, and the trace so far comes back marked as ended early', async () => {
  const run = await trace('shapes.test.js::sleepy', 'shapes.js', 'countUp', { timeoutMs: 4000 });
  assert.equal(run.timedOut, true);
  assert.ok(run.trace.truncated && run.trace.truncated.stoppedBy === 'time', JSON.stringify(run.trace.truncated));
  assert.equal(run.trace.endedEarly?.by, 'time');
  assert.deepEqual(run.trace.calls[0].returned, v('number', '3'));
  assert.doesNotMatch(formatTrace(run.trace), /written by then/, 'the recorder itself answered the signal with its whole trace');
});

test('a test stuck in a loop of its own after the call: no signal handler can run, and the trace written as it went comes back', async () => {
  const run = await trace('orders.test.js::stuck after the call', 'orders.js', 'total', { timeoutMs: 3000 });
  assert.equal(run.timedOut, true);
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  assert.deepEqual(run.trace.calls[0].returned, v('number', '6'));
  assert.equal(run.trace.endedEarly?.by, 'time');
  assert.match(formatTrace(run.trace), /the run ended early: .*the trace is what the tracer had written by then/);
});

test('a callee that loops forever: the function is shown running, with its arguments', async () => {
  const run = await trace('orders.test.js::a callee loops forever', 'orders.js', 'checkout', { timeoutMs: 3000 });
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  const [call] = run.trace.calls;
  assert.deepEqual(call.args, { items: v('Array', '[5, 5, 5]', 3) });
  assert.equal(call.unfinished, true);
  assert.equal(run.trace.endedEarly?.by, 'time');
});

test('process.exit inside the function: the trace is kept and says the program exited, with its code', async () => {
  const run = await trace('orders.test.js::exits in the middle', 'orders.js', 'finish');
  assert.equal(run.trace.calls.length, 1, run.stdout + run.stderr);
  assert.deepEqual(run.trace.calls[0].args, { code: v('number', '3') });
  assert.equal(run.trace.calls[0].unfinished, true);
  assert.equal(run.trace.endedEarly?.by, 'exit');
  assert.match(formatTrace(run.trace), /the run ended early: the program exited with code 3 while the test ran/);
});

test('the traced outcome equals the untraced one', async () => {
  for (const [testId, file, fn] of [
    ['shapes.test.js::cart total', 'shapes.js', 'Cart.total'],
    ['shapes.test.js::count up', 'shapes.js', 'countUp'],
    ['geometry.test.mjs::average', 'geometry.mjs', 'average'],
  ]) {
    const traced = await trace(testId, file, fn);
    const plain = await runJavaScriptTestUntraced({ cwd, test: testId });
    assert.equal(traced.exitCode, plain.exitCode, testId);
    assert.ok(traced.trace.calls.length > 0, testId);
  }
});

test('ducktrace trace --json on a JavaScript target prints the trace and exits 0 even when the test fails', () => {
  const r = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'trace', '--cwd', cwd, '--test', 'shapes.test.js::cart total', '--target', 'shapes.js:Cart.total', '--json'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_TEST_CONTEXT: undefined },
  });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(json), ['target', 'calls', 'truncated', 'stats']);
  assert.deepEqual(json.target, { file: join(cwd, 'shapes.js'), function: 'Cart.total', language: 'javascript' });
  assert.deepEqual(json.calls[0].steps, cartSteps);

  const never = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli.js'), 'trace', '--cwd', cwd, '--test', 'shapes.test.js::count up', '--target', 'shapes.js:spin'], { encoding: 'utf8' });
  assert.equal(never.status, 1);
  assert.match(never.stderr, /spin never ran during the test/);
});

test('TypeScript through the project\'s tsx: the TypeScript source itself is instrumented (CommonJS)', async () => {
  // tsx from the npm registry through the fixture cache: a failed install fails this test.
  const dir = fixtureProject(fixturePath('trace', 'ts'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const target = await resolveTarget(dir, { file: 'calc.ts', function: 'addAll' }, {}, parser);
  const run = await traceJavaScriptTest(target, { cwd: dir, test: 'calc.test.ts::adds' });
  assert.deepEqual(run.command.slice(4, 6), ['--import', 'tsx']);
  assert.deepEqual(
    run.trace.calls[0].steps.map((s) => `${s.blockId}:${s.vars.total.text}`),
    ['b1:0', 'b2:0', 'b3:1', 'b2:1', 'b3:3', 'b4:3'],
  );
  assert.equal(run.exitCode, 1);
  assert.match(run.stdout, /calc\.test\.ts:6/, 'line numbers unchanged');
});
