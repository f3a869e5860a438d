// The Python mutant runner on a small pytest project (a copy in a temp folder): the mutant that
// fixes `>` into `>=` turns the failing tests to passed and keeps the passing ones, through both
// `from shop import discount` and `shop.discount`; a mutant that loops forever is stopped by the
// line budget or the per-test timeout and the run goes on; one that does not compile, and one whose
// closure would change, are skipped with the reason; a method, a nested function under stacked
// decorators and an lru_cache'd function work; the budget and cancellation; the test ids are the
// coverage run's; the project's files are byte-identical afterwards and no __pycache__ appears.
// sys.settrace on 3.11, sys.monitoring on 3.12/3.13 where pyenv has them.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Mutant } from '../../src/core/localize/mutants';
import { codePointEdits, runPythonMutants, type PythonMutantsOptions } from '../../src/host/localize/pythonMutants';
import { mutantMaxLines } from '../../src/core/localize/mutants';
import { runPythonSpectra } from '../../src/host/localize/pythonSpectra';
import { resolveTarget, type ResolvedTarget } from '../../src/host/tracers/traceTarget';
import { fixtureProject, projectFileHashes } from '../support/fixtureDeps';
import { fixturePath, parser } from './support/fixtures';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function project(): string {
  const dir = fixtureProject(fixturePath('mutants', 'python'), { install: false });
  dirs.push(dir);
  return dir;
}

const fast = ['-p', 'no:hypothesispytest'];

/** A mutant replacing `old` inside the first occurrence of `anchor` in the target's file. */
function edit(target: ResolvedTarget, id: string, anchor: string, old: string, replacement: string): Mutant {
  const at = target.source.indexOf(anchor);
  assert.ok(at >= 0 && anchor.includes(old), `${anchor} in the fixture`);
  const start = at + anchor.indexOf(old);
  return { id, blockId: 'b1', start, end: start + old.length, replacement, description: `${old} -> ${replacement}` };
}

async function run(cwd: string, fn: string, tests: string, mutants: (t: ResolvedTarget) => Mutant[], options: Partial<PythonMutantsOptions> = {}) {
  const target = await resolveTarget(cwd, { file: 'shop.py', function: fn }, {}, parser);
  const result = await runPythonMutants(target, mutants(target), { cwd, pytestArgs: [...fast, 'test_shop.py', '-k', tests], testTimeoutSeconds: 20, maxLines: 100_000, timeoutMs: 120_000, ...options });
  const byMutant = Object.fromEntries(result.outcomes.map((o) => [o.mutant, o.skipped ? `skipped: ${o.skipped}` : shortIds(o.tests)]));
  return { target, result, byMutant };
}

const shortIds = (tests: Readonly<Record<string, string>>) => Object.fromEntries(Object.entries(tests).map(([id, outcome]) => [id.replace('test_shop.py::', ''), outcome]));

const discountTests = 'above or below or at_min';

async function checkDiscount(options: Partial<PythonMutantsOptions> = {}) {
  const cwd = project();
  const before = projectFileHashes(cwd);
  const { target, result, byMutant } = await run(
    cwd,
    'discount',
    discountTests,
    (t) => [edit(t, 'm1', 'quantity > min_q', '>', '>='), edit(t, 'm2', 'quantity > min_q', '>', '<'), edit(t, 'm3', 'quantity > min_q', '>', '>>='), edit(t, 'm4', 'return 0', '0', '10')],
    options,
  );
  assert.equal(result.problems, undefined);
  assert.deepEqual(byMutant.m1, { test_above: 'passed', test_below: 'passed', test_at_min: 'passed', test_at_min_through_module: 'passed' }, 'the fix turns the failing tests to passed, through both imports');
  assert.deepEqual(byMutant.m2, { test_above: 'failed', test_below: 'failed', test_at_min: 'failed', test_at_min_through_module: 'failed' });
  assert.match(String(byMutant.m3), /^skipped: it does not compile \(SyntaxError: .* on line 6\)$/);
  assert.deepEqual(byMutant.m4, { test_above: 'passed', test_below: 'failed', test_at_min: 'passed', test_at_min_through_module: 'passed' }, 'the mutant after the one that did not compile ran');
  assert.deepEqual(projectFileHashes(cwd), before, 'the project is byte-identical');
  assert.equal(existsSync(join(cwd, '__pycache__')), false, 'no __pycache__ appeared');
  return { cwd, target, result };
}

test('the fixing mutant (> into >=) turns the failing tests to passed and keeps the passing ones; a mutant that does not compile is skipped; the file is untouched (sys.settrace on 3.11)', async () => {
  const { cwd, target, result } = await checkDiscount();
  const spectra = await runPythonSpectra(target, { cwd, pytestArgs: [...fast, 'test_shop.py', '-k', discountTests], timeoutMs: 120_000 });
  assert.deepEqual(Object.keys(result.outcomes[0]!.tests).sort(), spectra.spectra.map((s) => s.testId).sort(), 'the test ids are the coverage run\'s');
  assert.ok(result.elapsedMs > 0);
});

test('a mutant that loops forever: its test fails at the line budget, and the next mutant runs', async () => {
  const { byMutant } = await run(project(), 'count_up', 'count_even', (t) => [edit(t, 'm1', 'i += step', '+=', '-='), edit(t, 'm2', 'i < n', '<', '!=')], { maxLines: 10_000, testTimeoutSeconds: 600, timeoutMs: 60_000 });
  // Unbounded, the loop would outlast the whole run's limit and both mutants would be skipped.
  assert.deepEqual(byMutant, { m1: { test_count_even: 'failed' }, m2: { test_count_even: 'passed' } });
});

test('a mutant that loops forever with no line budget: the per-test timeout fails its test, and the next mutant runs', async () => {
  const { byMutant } = await run(project(), 'count_up', 'count_even', (t) => [edit(t, 'm1', 'i += step', '+=', '-='), edit(t, 'm2', 'i < n', '<', '!=')], { maxLines: 0, testTimeoutSeconds: 1, timeoutMs: 60_000 });
  assert.deepEqual(byMutant, { m1: { test_count_even: 'failed' }, m2: { test_count_even: 'passed' } });
});

test('a method, a nested function under two decorators (its closure kept), an lru_cache\'d function (cleared per mutant)', async () => {
  const cwd = project();
  const cart = await run(cwd, 'Cart.total', 'cart', (t) => [edit(t, 'm1', 's - 1', '1', '0'), edit(t, 'm2', 's += price', '+=', '-=')]);
  assert.deepEqual(cart.byMutant, { m1: { test_cart: 'passed' }, m2: { test_cart: 'failed' } });
  const scale = await run(cwd, 'scaled.scale', 'scaled', (t) => [edit(t, 'm1', 'v * factor + 1', '1', '0'), edit(t, 'm2', 'v * factor + 1', '*', '+')]);
  assert.deepEqual(scale.byMutant, { m1: { test_scaled: 'passed' }, m2: { test_scaled: 'failed' } });
  const square = await run(cwd, 'square', 'square', (t) => [edit(t, 'm1', 'n * n + 1', '1', '2'), edit(t, 'm2', 'n * n + 1', '1', '0')]);
  assert.deepEqual(square.byMutant, { m1: { test_square: 'failed' }, m2: { test_square: 'passed' } }, 'the cache of the first mutant\'s result does not hide the second');
});

test('a closure whose free variables would change is skipped with the reason; one that keeps them runs', async () => {
  const { byMutant } = await run(project(), 'make_adder.add', 'adder', (t) => [edit(t, 'm1', 'x + k', 'k', '1'), edit(t, 'm2', 'x + k', 'x + k', 'k + x')]);
  assert.match(String(byMutant.m1), /^skipped: its free variables differ \(none instead of k\)$/);
  assert.deepEqual(byMutant.m2, { test_adder: 'passed' });
});

test('a module the tests import only as they run: found after the first test ran unmutated', async () => {
  const cwd = project();
  const target = await resolveTarget(cwd, { file: 'lazy.py', function: 'halve' }, {}, parser);
  const at = target.source.indexOf('3');
  const result = await runPythonMutants(target, [{ id: 'm1', blockId: 'b1', start: at, end: at + 1, replacement: '2', description: '3 -> 2' }], { cwd, pytestArgs: [...fast, 'test_lazy.py'], timeoutMs: 120_000 });
  assert.deepEqual(result.outcomes, [{ mutant: 'm1', tests: { 'test_lazy.py::test_halve': 'passed' } }]);
});

test('the budget: once spent, the mutants left are skipped as budget; an edit outside the text is skipped without running', async () => {
  const { target, byMutant } = await run(project(), 'discount', discountTests, (t) => [edit(t, 'm1', 'quantity > min_q', '>', '>='), { ...edit(t, 'm2', 'return 0', '0', '1'), start: 1e9, end: 1e9 }], { budgetMs: 1 });
  assert.deepEqual(byMutant, { m1: 'skipped: budget', m2: `skipped: its edit (1000000000..1000000000) is outside the file's text (${target.source.length} characters)` });
});

test('cancellation: the mutants finished before it keep their outcomes, the rest are skipped as cancelled', async () => {
  const cwd = project();
  const marker = join(cwd, '..', `${cwd.split(/[\\/]/).pop()}.marker`);
  dirs.push(marker);
  const controller = new AbortController();
  const watch = setInterval(() => {
    // The test started twice: the first mutant is finished, the second loops (no bounds).
    if (existsSync(marker) && readFileSync(marker, 'utf8').length >= 2) controller.abort();
  }, 50);
  try {
    const { byMutant } = await run(cwd, 'count_up', 'count_even', (t) => [edit(t, 'm1', 'i < n', '<', '!='), edit(t, 'm2', 'i += step', '+=', '-='), edit(t, 'm3', 'i < n', '<', '<=')], {
      maxLines: 0,
      testTimeoutSeconds: 0,
      signal: controller.signal,
      env: { DUCKTRACE_TEST_MARKER: marker },
    });
    assert.deepEqual(byMutant, { m1: { test_count_even: 'passed' }, m2: 'skipped: cancelled', m3: 'skipped: cancelled' });
  } finally {
    clearInterval(watch);
  }
});

test('UTF-16 offsets become code point offsets (Python indexes strings by code points)', () => {
  const source = 'a = "😀"\nif x > 1:\n';
  const start = source.indexOf('>');
  assert.deepEqual(codePointEdits(source, [{ id: 'm1', start, end: start + 1, replacement: '>=' }]), [{ id: 'm1', start: start - 1, end: start, replacement: '>=' }]);
  assert.deepEqual(codePointEdits('x > 1', [{ id: 'm1', start: 2, end: 3, replacement: '<' }]), [{ id: 'm1', start: 2, end: 3, replacement: '<' }]);
});

test('the line budget for mutants: ten times the most lines a test of the coverage run ran to its end, at least 10,000', () => {
  assert.equal(mutantMaxLines([]), 10_000);
  assert.equal(mutantMaxLines([{ test: 'a', outcome: 'passed', lines: { '3': [1500, 9], '4': [500, 10] } }, { test: 'b', outcome: 'failed', lines: { '3': [10, 1] } }]), 20_000);
  // A test stopped at the coverage run's budget (the original loops forever) is no measure of the work a test needs.
  const looped = { test: 'c', outcome: 'failed', timedOut: true, lines: { '3': [5_000_000, 5_000_001] } } as const;
  assert.equal(mutantMaxLines([{ test: 'a', outcome: 'passed', lines: { '3': [1500, 9] } }, looped]), 15_000);
  assert.equal(mutantMaxLines([looped]), 100_000);
});

const pytestSitePackages = spawnSync('python3', ['-c', 'import os, pytest; print(os.path.dirname(os.path.dirname(pytest.__file__)))'], { encoding: 'utf8' }).stdout.trim();
for (const version of ['3.12.1', '3.13.0']) {
  const python = `/root/.pyenv/versions/${version}/bin/python`;
  test(`the same outcomes through sys.monitoring on Python ${version}`, { skip: existsSync(python) && pytestSitePackages ? false : `no Python ${version}` }, async () => {
    // pytest is installed for 3.11 only; its pure-Python packages load on newer versions too.
    const options = { python, env: { PYTHONPATH: pytestSitePackages } };
    await checkDiscount(options);
    const loop = await run(project(), 'count_up', 'count_even', (t) => [edit(t, 'm1', 'i += step', '+=', '-='), edit(t, 'm2', 'i < n', '<', '!=')], { ...options, maxLines: 10_000, testTimeoutSeconds: 600, timeoutMs: 60_000 });
    assert.deepEqual(loop.byMutant, { m1: { test_count_even: 'failed' }, m2: { test_count_even: 'passed' } });
    const scale = await run(project(), 'scaled.scale', 'scaled', (t) => [edit(t, 'm1', 'v * factor + 1', '1', '0')], options);
    assert.deepEqual(scale.byMutant, { m1: { test_scaled: 'passed' } });
  });
}
