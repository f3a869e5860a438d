import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Block } from '../../../src/core/blocks/basicBlocks';
import type { Target } from '../../../src/core/blocks/targetFinder';
import { emptyState, type ExplanationState } from '../../../src/core/view/explanationState';
import { earlierSession, isBusy, reduceLoop, reduceSession, type SessionEvent } from '../../../src/core/view/sessionReducer';

const range = (a: number, b: number) => ({ start: { line: a, character: 0 }, end: { line: b, character: 0 } });
const target: Target = { file: '/w/pricing.py', language: 'python', functionName: 'apply_discount', range: range(1, 6) };
const blocks: Block[] = [
  { id: 'b1', kind: 'entry', range: range(1, 2), text: 'def apply_discount(price, percent):', successors: ['b2'] },
  { id: 'b2', kind: 'branch', range: range(3, 4), text: 'if percent <= 0:', successors: ['b3'] },
  { id: 'b3', kind: 'return', range: range(5, 6), text: 'return max(discounted, 0)', successors: [] },
] as Block[];
const test_ = { name: 'test_ten_percent_off', file: '/w/test_pricing.py', line: 9, message: 'assert 0.0 == 72' };

const run = (events: SessionEvent[], from: ExplanationState = emptyState()) => events.reduce(reduceSession, from);

test('a whole Explain and Fix session, event by event, as the view shows it', () => {
  const seen: ExplanationState[] = [];
  let s = emptyState(3);
  for (const e of [
    { type: 'start', test: test_ },
    { type: 'target', target, blocks },
    { type: 'tracing' },
    { type: 'traced', trace: { calls: [{ steps: [{ blockId: 'b3', vars: { price: { type: 'int', text: '80' }, discounted: 0 } }] }] } },
    { type: 'asking', model: 'scripted-model' },
    { type: 'prompt', messages: [], stats: {} },
    { type: 'verdicts', verdicts: [{ blockId: 'b1', correct: true, why: 'ok' }] },
    { type: 'text', text: 'x'.repeat(42) },
    { type: 'answered', summary: '**Why.** divides by 10', verdicts: [{ blockId: 'b1', correct: true, why: 'ok' }, { blockId: 'b3', correct: false, why: 'wrong divisor' }] },
    { type: 'proposed', file: 'pricing.py' },
  ] as SessionEvent[]) {
    s = reduceSession(s, e);
    seen.push(s);
  }
  assert.deepEqual(seen.map((x) => x.phase), ['locating', 'locating', 'tracing', 'tracing', 'tracing', 'asking', 'asking', 'asking', 'done', 'proposed']);
  assert.equal(seen[5]!.status, 'Asking scripted-model');
  assert.equal(s.sessionId, 4, 'a new session');
  assert.equal(s.target?.name, 'apply_discount');
  assert.deepEqual(s.blocks.find((b) => b.id === 'b3')?.values, ['price = 80', 'discounted = 0']);
  assert.deepEqual(s.blocks.map((b) => b.verdict?.correct), [true, undefined, false]);
  assert.equal(s.explanation, '**Why.** divides by 10');
  assert.equal(s.hasPrompt, true);
  assert.equal(seen[7]!.status, 'Receiving the answer (42 characters)');
  assert.ok(isBusy(seen[5]!) && !isBusy(s));
});

test('no trace: the session says that no values were recorded, and why', () => {
  const s = run([{ type: 'start', test: test_ }, { type: 'target', target, blocks }, { type: 'traced', trace: undefined, skipped: 'No test reaches apply_discount, so no values were recorded.' }]);
  assert.equal(s.noValues, 'No test reaches apply_discount, so no values were recorded.');
  const failed = run([{ type: 'start', test: test_ }, { type: 'traced', trace: undefined, error: 'pytest exited with 4' }]);
  assert.match(failed.noValues ?? '', /Tracing failed \(pytest exited with 4\)/);
});

test('after the fix is settled, the rerun says whether the test now passes', () => {
  const proposed = run([{ type: 'start', test: test_ }, { type: 'proposed', file: 'pricing.py' }, { type: 'hunks', hunks: [{ id: 'h1', state: 'accepted', startLine: 5, oldText: 'a', newText: 'b' }] }]);
  const settled = reduceSession(proposed, { type: 'settled', acceptedAny: true });
  assert.equal(settled.phase, 'done');
  assert.equal(settled.status, '1 change accepted and saved.');
  const running = reduceSession(settled, { type: 'rerun', rerun: { state: 'running' } });
  assert.equal(running.status, 'Rerunning test_ten_percent_off');
  const passed = reduceSession(running, { type: 'rerun', rerun: { state: 'passed' } });
  assert.equal(passed.status, 'Fixed: test_ten_percent_off now passes.');
  assert.deepEqual(passed.rerun, { state: 'passed' });
  const failed = reduceSession(running, { type: 'rerun', rerun: { state: 'failed', message: 'assert 71 == 72' } });
  assert.equal(failed.status, 'test_ten_percent_off still fails after the change.');
  const reverted = reduceSession(passed, { type: 'reverted' });
  assert.equal(reverted.rerun, undefined, 'a reverted change no longer passes anything');
  assert.match(reverted.status, /^Reverted/);
  const rejected = reduceSession(proposed, { type: 'settled', acceptedAny: false });
  assert.match(rejected.status, /rejected; the file is as it was/);
});

test('errors and cancellation keep what was found so far', () => {
  const s = run([{ type: 'start', test: test_ }, { type: 'target', target, blocks }, { type: 'failed', message: 'Ducktrace needs a model', action: 'Choose Model' }]);
  assert.equal(s.phase, 'error');
  assert.deepEqual(s.error, { message: 'Ducktrace needs a model', action: 'Choose Model' });
  assert.equal(s.blocks.length, 3);
  assert.equal(reduceSession(s, { type: 'cancelled', status: 'Nothing was changed.' }).phase, 'cancelled');
});

test('the loop: timeline, status only while running, summary, and Revert All marks it reverted', () => {
  let loop = reduceLoop(undefined, { type: 'loop-start', mode: 'auto' });
  loop = reduceLoop(loop, { type: 'loop-status', status: 'Iteration 1 of 5: asking the model' });
  loop = reduceLoop(loop, { type: 'loop-iteration', entry: { iteration: 1, test: 'add', result: 'fixed', detail: 'passes now' } });
  assert.equal(loop?.status, 'Iteration 1 of 5: asking the model');
  loop = reduceLoop(loop, { type: 'loop-summary', summary: { stop: 'green', message: 'All tests pass after 1 iteration.', fixed: ['add'], stillFailing: [], changedFiles: ['calc.js'] } });
  assert.equal(loop?.status, undefined);
  assert.equal(reduceLoop(loop, { type: 'loop-status', status: 'late' })?.status, undefined, 'a late status does not come back after the summary');
  loop = reduceLoop(loop, { type: 'loop-reverted', files: ['calc.js'] });
  assert.deepEqual(loop?.summary?.reverted, ['calc.js']);
  const earlier = earlierSession(emptyState(7), loop);
  assert.equal(earlier?.outcome, 'All tests pass after 1 iteration. Reverted since.');
});

test('a finished session becomes one line below the next; an idle or running one does not', () => {
  const done = run([{ type: 'start', test: test_ }, { type: 'answered', summary: 's', verdicts: [] }, { type: 'no-fix', reason: 'No fix was proposed.' }]);
  assert.deepEqual(earlierSession(done, undefined), { id: 1, title: 'Explain and Fix: test_ten_percent_off', outcome: 'No fix was proposed.' });
  assert.equal(earlierSession(emptyState(), undefined), undefined);
  assert.equal(earlierSession(run([{ type: 'start', test: test_ }]), undefined), undefined);
});

test('an unsure finder asks which function; the session stays busy until one is chosen', () => {
  const started = reduceSession(emptyState(0), { type: 'start' });
  const locating = reduceSession(started, { type: 'locating' });
  assert.equal(locating.phase, 'locating');
  const choosing = reduceSession(locating, { type: 'choosing', candidates: 3 });
  assert.equal(choosing.phase, 'locating');
  assert.match(choosing.status, /^Which function should Ducktrace explain\? 3 could be the one/);
});
