// The loop's rules, driven by a tiny simulated project: files are strings, each test a predicate
// over them, the "model" a script of proposals.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { TestCaseResult } from '../../src/core/failures/testFailure';
import { describeOutcome, describePhase, iterateUntilGreen, revertAll, type FixProposal, type LoopPorts, type LoopEvent } from '../../src/core/loop/iterateUntilGreen';
import { brokenBetween, testFileOutcomes, testRunOf, type LoopFailure, type TestRun } from '../../src/core/loop/testRun';

interface World {
  files: Map<string, string>;
  tests: Record<string, (files: Map<string, string>) => string | undefined>; // returns the failure message
  /** Test file of each test (default test_app.py). */
  testFile?: Record<string, string>;
  /** Why a test file does not load now (its tests then do not run), if it does not. */
  loadError?: (files: Map<string, string>, testFile: string) => string | undefined;
  /** Which tests exist now (default: all). */
  exists?: (files: Map<string, string>, test: string) => boolean;
}

/** The runner's view of the world: results per test, a file-level failure for a file that does not load. */
function results(world: World): TestCaseResult[] {
  const out: TestCaseResult[] = [];
  const failed = (testId: string, file: string, name: string, message: string, fileLevel = false): TestCaseResult => ({
    testId,
    framework: 'pytest',
    file,
    name,
    suitePath: [],
    outcome: 'failed',
    output: '',
    failure: { testId, framework: 'pytest', file, line: 1, name, message, stack: [{ file: 'app.py', line: 1 }], output: '' },
    ...(fileLevel ? { fileLevel: true } : {}),
  });
  const broken = new Set<string>();
  for (const [id, t] of Object.entries(world.tests)) {
    const file = world.testFile?.[id] ?? 'test_app.py';
    const loadError = world.loadError?.(world.files, file);
    if (loadError) {
      if (!broken.has(file)) out.push(failed(`${file}::(collection)`, file, file, loadError, true));
      broken.add(file);
      continue;
    }
    if (world.exists && !world.exists(world.files, id)) continue;
    const msg = t(world.files);
    out.push(msg ? failed(id, file, id, msg) : { testId: id, framework: 'pytest', file, name: id, suitePath: [], outcome: 'passed', output: '' });
  }
  return out;
}

function ports(world: World, script: ((f: LoopFailure, notes: readonly string[]) => FixProposal)[], extra: Partial<LoopPorts> = {}) {
  const events: LoopEvent[] = [];
  const asked: { test: string; notes: readonly string[] }[] = [];
  const checkpoints = new Map<string, string>();
  const p: LoopPorts = {
    async runTests() {
      return testRunOf(results(world));
    },
    async propose(f, notes) {
      asked.push({ test: f.testId, notes });
      const next = script.shift();
      if (!next) return { ok: false, error: 'script ran out' };
      return next(f, notes);
    },
    async readFile(file) {
      return world.files.get(file) ?? '';
    },
    async writeFile(file, text) {
      world.files.set(file, text);
    },
    async review(file, newText) {
      world.files.set(file, newText);
      return newText;
    },
    isTestFile: (file) => file.startsWith('test_'),
    mayEditTests: async () => false,
    async checkpoint(file, original) {
      checkpoints.set(file, original);
    },
    onEvent: (e) => events.push(e),
    ...extra,
  };
  return { ports: p, events, asked, checkpoints };
}

const replace = (file: string, from: string, to: string) => (_f: LoopFailure): FixProposal => ({ ok: true, file, newText: world.files.get(file)!.replace(from, to), summary: `${from} -> ${to}`, tokens: 100 });
let world: World;
function twoBugs(): World {
  return {
    files: new Map([['app.py', 'add: a - b\nmul: a + b\nsub: a - b\n'], ['test_app.py', 'tests']]),
    tests: {
      test_add: (f) => (f.get('app.py')!.includes('add: a + b') ? undefined : 'assert add(1, 2) == 3'),
      test_mul: (f) => (f.get('app.py')!.includes('mul: a * b') ? undefined : 'assert mul(2, 3) == 6'),
      test_sub: (f) => (f.get('app.py')!.includes('sub: a - b') ? undefined : 'assert sub(3, 1) == 2'),
    },
  };
}

test('two independent bugs reach green in two iterations; originals are checkpointed and revert restores them exactly', async () => {
  world = twoBugs();
  const original = world.files.get('app.py')!;
  const { ports: p, events, checkpoints } = ports(world, [replace('app.py', 'add: a - b', 'add: a + b'), replace('app.py', 'mul: a + b', 'mul: a * b')]);
  const summary = await iterateUntilGreen(p);
  assert.equal(summary.stop, 'green');
  assert.equal(summary.iterations.length, 2);
  assert.deepEqual([...summary.fixed].sort(), ['test_add', 'test_mul']);
  assert.equal(summary.tokens, 200);
  assert.equal(checkpoints.get('app.py'), original);
  assert.ok(events.some((e) => e.type === 'phase' && e.phase === 'rerunning tests'));
  await revertAll(summary.originals, async (f, t) => void world.files.set(f, t));
  assert.equal(world.files.get('app.py'), original);
});

test('a fix that breaks a passing test is reverted and the model is told why', async () => {
  world = twoBugs();
  const { ports: p, asked } = ports(world, [replace('app.py', 'sub: a - b', 'sub: a + b'), replace('app.py', 'add: a - b', 'add: a + b'), replace('app.py', 'mul: a + b', 'mul: a * b')]);
  const summary = await iterateUntilGreen(p);
  assert.equal(summary.iterations[0]!.result, 'reverted');
  assert.ok(world.files.get('app.py')!.includes('sub: a - b'), 'reverted');
  assert.match(asked[1]!.notes[0]!, /made these passing tests fail, so it was reverted: test_sub/);
  assert.equal(summary.stop, 'green');
});

test('no progress: told what did not work, tried once more, then the loop moves on and stops', async () => {
  world = { files: new Map([['app.py', 'x = 1\n']]), tests: { test_x: (f) => (f.get('app.py')!.includes('x = 2') ? undefined : 'assert x == 2') } };
  const { ports: p, asked } = ports(world, [replace('app.py', 'x = 1', 'x = 1 # hmm'), replace('app.py', '# hmm', '# still')]);
  const summary = await iterateUntilGreen(p);
  assert.deepEqual(summary.iterations.map((r) => r.result), ['no-progress', 'no-progress']);
  assert.match(asked[1]!.notes[0]!, /did not change the failure/);
  assert.equal(summary.stop, 'no-progress');
  assert.equal(summary.stillFailing[0]!.why, 'Two fixes in a row did not change the failure.');
});

test('a test file is not edited without permission; the claim that a test is wrong is shown, not acted on', async () => {
  world = twoBugs();
  const { ports: p } = ports(world, [
    () => ({ ok: true, file: 'test_app.py', newText: 'weakened tests', summary: 'edit the test' }),
    () => ({ ok: true, testIsWrong: 'mul should add', summary: 'the test is wrong' }),
  ]);
  const summary = await iterateUntilGreen(p);
  assert.equal(world.files.get('test_app.py'), 'tests');
  assert.deepEqual(summary.iterations.map((r) => r.result), ['test-file-refused', 'test-claim']);
  assert.equal(summary.stop, 'no-progress');
});

test('max iterations, token budget and cancellation stop the loop with files consistent', async () => {
  world = twoBugs();
  const a = await iterateUntilGreen(ports(world, [replace('app.py', 'add: a - b', 'add: a + b'), replace('app.py', 'mul: a + b', 'mul: a * b')]).ports, { maxIterations: 1 });
  assert.equal(a.stop, 'max-iterations');
  world = twoBugs();
  const b = await iterateUntilGreen(ports(world, [replace('app.py', 'add: a - b', 'add: a + b'), replace('app.py', 'mul: a + b', 'mul: a * b')]).ports, { maxTokens: 50 });
  assert.equal(b.stop, 'token-budget');
  world = twoBugs();
  const controller = new AbortController();
  const before = world.files.get('app.py');
  const c = await iterateUntilGreen(ports(world, [(f) => { controller.abort(); return replace('app.py', 'add: a - b', 'add: a + b')(f); }]).ports, { signal: controller.signal });
  assert.equal(c.stop, 'cancelled');
  assert.equal(world.files.get('app.py'), before, 'nothing applied after the cancel');
});

test('review mode: a rejected proposal changes nothing and the loop moves on', async () => {
  world = twoBugs();
  const before = world.files.get('app.py');
  const { ports: p } = ports(world, [replace('app.py', 'add: a - b', 'add: a + b'), replace('app.py', 'mul: a + b', 'mul: a * b')], {
    review: async (file) => world.files.get(file)!, // the user rejects everything
  });
  const summary = await iterateUntilGreen(p);
  assert.deepEqual(summary.iterations.map((r) => r.result), ['rejected', 'rejected']);
  assert.equal(world.files.get('app.py'), before);
});

test('nothing to fix when everything passes; a model error is reported per test', async () => {
  world = { files: new Map([['app.py', 'ok']]), tests: { t: () => undefined } };
  assert.equal((await iterateUntilGreen(ports(world, []).ports)).stop, 'nothing-to-fix');
  world = twoBugs();
  const s = await iterateUntilGreen(ports(world, [() => ({ ok: false, error: 'The model server refused the API key' })]).ports, { maxIterations: 1 });
  assert.equal(s.iterations[0]!.result, 'model-error');
  assert.match(s.iterations[0]!.detail, /API key/);
});

test('scope: only the chosen tests are fixed, but breaking a test outside the scope still reverts', async () => {
  world = twoBugs();
  const { ports: p } = ports(world, [replace('app.py', 'sub: a - b', 'sub: a + b'), replace('app.py', 'add: a - b', 'add: a + b')]);
  const summary = await iterateUntilGreen(p, { inScope: (id) => id === 'test_add' });
  assert.deepEqual(summary.iterations.map((r) => r.result), ['reverted', 'fixed']);
  assert.equal(summary.stop, 'green');
  assert.deepEqual(summary.fixed, ['test_add']);
  assert.ok(world.files.get('app.py')!.includes('mul: a + b'), 'the out-of-scope bug was left alone');
});

test('progress and outcome read as sentences', () => {
  assert.equal(describePhase({ type: 'phase', iteration: 0, phase: 'running tests' }, 5), 'Running the tests…');
  assert.equal(describePhase({ type: 'phase', iteration: 2, phase: 'asking the model', test: 'add' }, 5), 'Iteration 2 of at most 5 · asking the model about “add”…');
  assert.equal(describePhase({ type: 'phase', iteration: 1, phase: 'rerunning tests', test: 'add' }, 3), 'Iteration 1 of at most 3 · rerunning the tests after the fix for “add”…');
  assert.equal(describeOutcome({ message: 'All tests pass after 2 iterations.', fixed: ['a', 'b'], stillFailing: [] }), 'All tests pass after 2 iterations. Fixed 2 tests.');
  assert.equal(describeOutcome({ message: 'Stopped.', fixed: ['a'], stillFailing: [{ testId: 'b', name: 'b', why: '' }] }), 'Stopped. Fixed 1 test; 1 still failing.');
  assert.equal(describeOutcome({ message: 'All tests in scope already pass.', fixed: [], stillFailing: [] }), 'All tests in scope already pass.');
});

// Seen: a fix made the test file fail to import, so the tests that used to pass no longer ran, the
// failing test "passed" by not running, and nothing triggered a revert.
test('a fix that makes a test file fail to load is reverted, and the model is told why', async () => {
  world = {
    files: new Map([['app.py', 'add: a - b\nhelper: ok\n']]),
    tests: {
      test_add: (f) => (f.get('app.py')!.includes('add: a + b') ? undefined : 'assert add(1, 2) == 3'),
      test_helper: (f) => (f.get('app.py')!.includes('helper: ok') ? undefined : 'helper broke'),
      test_other: () => undefined,
    },
    testFile: { test_add: 'test_app.py', test_helper: 'test_app.py', test_other: 'test_other.py' },
    // The test file imports `helper`: a fix that deletes it breaks the import.
    loadError: (f, file) => (file === 'test_app.py' && !f.get('app.py')!.includes('helper') ? "ImportError: cannot import name 'helper' from 'app'" : undefined),
  };
  const { ports: p, asked } = ports(world, [
    () => ({ ok: true, file: 'app.py', newText: 'add: a + b\n', summary: 'rewrote the module', tokens: 10 }),
    replace('app.py', 'add: a - b', 'add: a + b'),
  ]);
  const summary = await iterateUntilGreen(p);
  assert.equal(summary.iterations[0]!.result, 'reverted', JSON.stringify(summary.iterations));
  assert.match(summary.iterations[0]!.detail, /test_app\.py no longer loads \(ImportError: cannot import name 'helper'/);
  assert.match(asked[1]!.notes[0]!, /broke the test run, so it was reverted: test_app\.py no longer loads/);
  assert.equal(summary.iterations[1]!.result, 'fixed');
  assert.equal(summary.stop, 'green');
  assert.equal(world.files.get('app.py'), 'add: a + b\nhelper: ok\n');
});

test('a fix after which a file runs fewer tests, or the failing test no longer runs, is reverted; no test passes by vanishing', async () => {
  world = {
    files: new Map([['app.py', 'add: a - b\n']]),
    tests: {
      test_add: (f) => (f.get('app.py')!.includes('add: a + b') ? undefined : 'assert add(1, 2) == 3'),
      test_keep: () => undefined,
    },
    // A parametrised test list computed from the module: the "fix" empties it.
    exists: (f) => !f.get('app.py')!.includes('gone'),
  };
  const { ports: p } = ports(world, [() => ({ ok: true, file: 'app.py', newText: 'gone\n', summary: 'x' })], {});
  const summary = await iterateUntilGreen(p, { maxIterations: 1 });
  assert.deepEqual(summary.iterations.map((r) => r.result), ['reverted']);
  assert.match(summary.iterations[0]!.detail, /test_app\.py ran 2 tests before and 0 now/);
  assert.deepEqual(summary.fixed, []);
  assert.equal(world.files.get('app.py'), 'add: a - b\n');

  const before = testRunOf(results({ ...world, files: new Map([['app.py', 'add: a - b\n']]) }));
  const vanished = { ...before, failures: [], passed: ['test_keep'], files: [{ file: 'test_app.py', tests: 2 }] };
  assert.deepEqual(brokenBetween(before, vanished).map((b) => b.text), []);
  const keepGone = { failures: before.failures, passed: [], files: [{ file: 'test_app.py', tests: 2 }] };
  assert.deepEqual(brokenBetween(before, keepGone).map((b) => b.text), ['test_keep (no longer ran)']);
});

test('a failure with no function to blame is reported as no-target and skipped without using an attempt', async () => {
  world = twoBugs();
  const noTarget = (): FixProposal => ({ ok: false, reason: 'no-target', error: 'Ducktrace found no function of this workspace in the failure' });
  const { ports: p, events } = ports(world, [noTarget, replace('app.py', 'add: a - b', 'add: a + b')], {
    // The environment failure comes first.
    preference: (f) => (f.testId === 'test_mul' ? 5 : 0),
  });
  const summary = await iterateUntilGreen(p, { maxIterations: 1 });
  assert.deepEqual(summary.iterations.map((r) => [r.testId, r.result]), [['test_mul', 'no-target'], ['test_add', 'fixed']]);
  assert.equal(summary.tokens, 100, 'only the real attempt cost tokens');
  assert.equal(summary.stop, 'max-iterations');
  assert.match(summary.stillFailing.find((f) => f.testId === 'test_mul')!.why, /no function of this workspace/);
  const lastPhase = events.filter((e) => e.type === 'phase' && e.phase === 'asking the model').at(-1);
  assert.ok(lastPhase && lastPhase.type === 'phase');
  assert.equal(describePhase(lastPhase, 1), 'Iteration 2 (fix attempt 1 of at most 1) · asking the model about “test_add”…');
});

test('a function that may not be sent is reported as not-sent, with the reason, and costs no attempt', async () => {
  world = twoBugs();
  const { ports: p } = ports(world, [() => ({ ok: false, reason: 'not-sent', error: 'app.py matches a neverSend pattern' }), replace('app.py', 'mul: a + b', 'mul: a * b')]);
  const summary = await iterateUntilGreen(p, { maxIterations: 1 });
  assert.deepEqual(summary.iterations.map((r) => r.result), ['not-sent', 'fixed']);
  assert.match(summary.iterations[0]!.detail, /neverSend/);
});

test('the model finds the function it was shown correct: the same test is asked about again, skipping that function, and reaches green', async () => {
  world = { files: new Map([['app.py', 'encode: delegates\n_encode: i < n\n']]), tests: { test_encode: (f) => (f.get('app.py')!.includes('i + 1 < n') ? undefined : "assert encode([1, 2]) == '1-2'") } };
  const seen: (readonly { file: string; functionName: string }[] | undefined)[] = [];
  const { ports: p, asked } = ports(world, [
    () => ({ ok: false, reason: 'elsewhere', checked: { file: 'app.py', functionName: 'encode' }, error: 'The model found every block of encode correct; next, Ducktrace checks _encode.', tokens: 50 }),
    replace('app.py', 'i < n', 'i + 1 < n'),
  ]);
  const propose = p.propose.bind(p);
  p.propose = (f, notes, signal, checked) => {
    seen.push(checked);
    return propose(f, notes, signal, checked);
  };
  const summary = await iterateUntilGreen(p);
  assert.equal(summary.stop, 'green');
  assert.deepEqual(summary.iterations.map((r) => r.result), ['no-fix', 'fixed']);
  assert.deepEqual(asked.map((a) => a.test), ['test_encode', 'test_encode'], 'the test stays in the loop');
  assert.deepEqual(seen, [[], [{ file: 'app.py', functionName: 'encode' }]]);
  assert.equal(summary.tokens, 150);
});

test('the failure is proposed with the run it comes from, whose outcome per test file the target finder ranks by', async () => {
  const failure: LoopFailure = { testId: '/p/test_write.py::test_round_trip', framework: 'pytest', file: '/p/test_write.py', line: 3, name: 'test_round_trip', message: 'differs', stack: [], output: '' };
  const run = { failures: [failure], passed: ['/p/test_read.py::test_a', '/p/test_read.py::test_b', '/p/test_write.py::test_plain'] };
  assert.deepEqual(testFileOutcomes(run), [
    { file: '/p/test_write.py', failed: 1, passed: 1 },
    { file: '/p/test_read.py', failed: 0, passed: 2 },
  ]);
  const seen: (TestRun | undefined)[] = [];
  const p: LoopPorts = {
    runTests: async () => run,
    propose: async (_f, _notes, _signal, _checked, current) => {
      seen.push(current);
      return { ok: false, error: 'no target', reason: 'no-target' };
    },
    readFile: async () => '',
    writeFile: async () => {},
    review: async (_file, text) => text,
    isTestFile: () => false,
    mayEditTests: async () => false,
    checkpoint: async () => {},
  };
  await iterateUntilGreen(p, { maxIterations: 1 });
  assert.equal(seen[0], run);
});
