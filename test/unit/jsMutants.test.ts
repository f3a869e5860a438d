// Mutant runs of a JavaScript function: per mutant, the tests that reach it with the mutated
// function swapped in; the file on disk never written; a mutant that loops forever stopped by the
// block budget; a mutant that does not parse skipped; and `localize` ranking the block whose
// mutant fixes the failing test first, with the reason in words.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { localize } from '../../src/host/localize/localize';
import { runJsMutants } from '../../src/host/localize/jsMutants';
import { resolveTarget } from '../../src/host/tracers/traceTarget';
import type { Mutant } from '../../src/core/localize/mutants';
import { projectFileHashes } from '../support/fixtureDeps';
import { fixturePath, parser } from './support/fixtures';

const cwd = fixturePath('spectra', 'js');

function mutantAt(source: string, id: string, blockId: string, from: string, to: string): Mutant {
  const start = source.indexOf(from);
  assert.ok(start >= 0, from);
  return { id, blockId, start, end: start + from.length, replacement: to, description: `${from} → ${to}` };
}

test('node:test, ES module: the fixing mutant turns the failing test, another breaks passing ones, one that does not parse is skipped; the files are unchanged', async () => {
  const before = projectFileHashes(cwd);
  const target = await resolveTarget(cwd, { file: 'grades.mjs', function: 'grade' }, {}, parser);
  const branch = target.blocks.blocks.find((b) => b.text.startsWith('if (score'))!;
  const mutants = [
    mutantAt(target.source, 'm1', branch.id, 'score > min', 'score >= min'),
    mutantAt(target.source, 'm2', branch.id, 'score > min', 'score < min'),
    mutantAt(target.source, 'm3', branch.id, 'score > min', 'score > > min'),
  ];
  const run = await runJsMutants(target, mutants, { cwd, testFiles: ['grades.test.mjs'], testTimeoutSeconds: 20, parser, width: 1 });
  const byTest = (i: number) => Object.fromEntries(Object.entries(run.outcomes[i]!.tests).map(([k, v]) => [relative(cwd, k), v]));
  assert.deepEqual(byTest(0), {
    'grades.test.mjs::a high score': 'passed',
    'grades.test.mjs::a middle score': 'passed',
    'grades.test.mjs::a boundary score gets the higher grade': 'passed',
    'grades.test.mjs::a low score fails': 'passed',
  });
  assert.equal(byTest(1)['grades.test.mjs::a high score'], 'failed');
  assert.match(run.outcomes[2]!.skipped ?? '', /does not parse/);
  assert.deepEqual(projectFileHashes(cwd), before);
});

test('a mutant that loops forever is stopped by the block budget, its test failed, and the next mutant still runs', async () => {
  const target = await resolveTarget(cwd, { file: 'clamp.js', function: 'spin' }, {}, parser);
  const header = target.blocks.blocks.find((b) => b.kind === 'loop-header')!;
  const body = target.blocks.blocks.find((b) => b.text.includes('n -= 2'))!;
  const mutants = [mutantAt(target.source, 'm1', body.id, 'n -= 2', 'n += 2'), mutantAt(target.source, 'm2', header.id, 'n !== 0', 'n > 0')];
  const run = await runJsMutants(target, mutants, { cwd, testFiles: ['spin.test.js'], testTimeoutSeconds: 20, parser, maxBlocksPerTest: 20_000, width: 1 });
  const outcomes = run.outcomes.map((o) => Object.values(o.tests));
  assert.ok(outcomes[0]!.includes('failed'), JSON.stringify(run.outcomes[0]));
  assert.ok(outcomes[1]!.length > 0, JSON.stringify(run.outcomes[1]));
  assert.equal(run.outcomes[1]!.skipped, undefined);
});

test('localize: the block whose mutant fixes the failing test comes first and the reason says which change; --no-mutants leaves them out', async () => {
  const source = readFileSync(join(cwd, 'grades.mjs'), 'utf8');
  const result = await localize({ cwd, target: { file: 'grades.mjs', function: 'grade' }, testFiles: ['grades.test.mjs'], testTimeoutSeconds: 20, parser });
  const first = result.suspicion.blocks[0]!;
  assert.match(result.target.blocks.blocks.find((b) => b.id === first.id)!.text, /^if \(score > min\)/);
  assert.match(first.reason, /with > → >= here, 1 of 1 failing test passes, no passing test breaks/);
  assert.ok(result.mutation && result.mutation.run.outcomes.some((o) => !o.skipped));
  assert.equal(readFileSync(join(cwd, 'grades.mjs'), 'utf8'), source);
  const plain = await localize({ cwd, target: { file: 'grades.mjs', function: 'grade' }, testFiles: ['grades.test.mjs'], testTimeoutSeconds: 20, parser, mutants: false });
  assert.equal(plain.mutation, undefined);
  assert.doesNotMatch(plain.suspicion.blocks.map((b) => b.reason).join('\n'), /failing tests? pass/);
});
