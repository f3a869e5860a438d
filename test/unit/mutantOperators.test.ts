// The mutants of a function: the classic one-token changes found on the syntax tree of Python and
// JavaScript/TypeScript, each an edit inside one block; every mutant still parses; the mutation
// evidence (the share of failing tests a mutant turns to passing when it breaks no passing test)
// and the ranking it lifts.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blocksOfFunction } from '../../src/core/blocks/functionBlocks';
import type { SourceLanguage } from '../../src/core/blocks/languages';
import { firstSyntaxError } from '../../src/core/blocks/syntaxNode';
import { mutantsOfFunction } from '../../src/core/localize/mutantOperators';
import { applyMutant, mutationEvidence, scheduleMutants, type Mutant } from '../../src/core/localize/mutants';
import { rankSuspiciousBlocks } from '../../src/core/localize/suspicion';
import type { TestSpectrum } from '../../src/core/localize/spectra';
import { parser } from './support/fixtures';

async function mutantsOf(source: string, language: SourceLanguage, name: string) {
  const fn = await blocksOfFunction(source, language, parser, { name });
  const mutants = await mutantsOfFunction(source, language, parser, { name }, fn.blocks);
  return { blocks: fn.blocks, mutants };
}

const described = (ms: readonly (Mutant & { kind: string })[], blockId: string) => ms.filter((m) => m.blockId === blockId).map((m) => `${m.kind} ${m.description}`);

const pythonSource = `import math

def tier_discount(quantity, min_q, rate):
    """The rate from min_q items on."""
    best = 0
    if quantity > min_q and rate:
        best = rate * quantity
    while not best:
        best += 1
    return best

def other(x):
    return x < 2
`;

test('Python: relational, logical, negation, constant, arithmetic and variable mutants, each inside its block, only in the named function', async () => {
  const { blocks, mutants } = await mutantsOf(pythonSource, 'python', 'tier_discount');
  const branch = blocks.find((b) => b.text.startsWith('if quantity'))!;
  assert.deepEqual(described(mutants, branch.id).slice(0, 4), ['relational > → >=', 'relational > → <', 'logical and → or', 'negation condition negated']);
  const loop = blocks.find((b) => b.text.startsWith('while'))!;
  assert.ok(described(mutants, loop.id).includes('negation not best → best'));
  const straight = blocks.find((b) => b.text.startsWith('best = rate'))!;
  assert.ok(described(mutants, straight.id).includes('arithmetic * → /'));
  assert.ok(described(mutants, straight.id).includes('variable rate → quantity'));
  // Nothing from the docstring, the other function or the def line itself.
  for (const m of mutants) {
    const block = blocks.find((b) => b.id === m.blockId)!;
    assert.ok(block.text.includes(pythonSource.slice(m.start, m.end)), `${m.id} ${m.description} outside ${block.id}`);
    assert.ok(m.start > pythonSource.indexOf('"""The rate'), m.description);
    assert.ok(m.end < pythonSource.indexOf('def other'), m.description);
  }
  assert.deepEqual(mutants.map((m) => m.id), mutants.map((_, i) => `m${i + 1}`));
});

const jsSource = `export function countIn(items, limit) {
  let count = 0;
  for (let i = 1; i < items.length; i++) {
    if (items[i] >= limit || !items[i - 1]) count++;
  }
  return count === 0 ? -1 : count;
}
`;

test('JavaScript: the for header, || and !, ++, literals and === each give their mutants', async () => {
  const { blocks, mutants } = await mutantsOf(jsSource, 'javascript', 'countIn');
  const all = mutants.map((m) => `${m.kind} ${m.description}`);
  for (const expected of ['relational < → <=', 'constant 1 → 0', 'relational >= → >', 'logical || → &&', 'negation !items[i - 1] → items[i - 1]', 'update ++ → --', 'relational === → !==', 'constant 0 → 1', 'constant 1 → 2']) {
    assert.ok(all.includes(expected), `${expected} in ${all.join(', ')}`);
  }
  assert.ok(blocks.length >= 4);
});

test('every mutant of either language still parses', async () => {
  for (const [source, language, name] of [[pythonSource, 'python', 'tier_discount'], [jsSource, 'javascript', 'countIn']] as const) {
    const { mutants } = await mutantsOf(source, language, name);
    assert.ok(mutants.length > 10);
    for (const m of mutants) {
      const tree = await parser.parse(applyMutant(source, m), language);
      try {
        assert.equal(firstSyntaxError(tree.rootNode), undefined, `${language} ${m.description}: ${applyMutant(source, m)}`);
      } finally {
        tree.delete();
      }
    }
  }
});

const spectrum = (testId: string, outcome: 'passed' | 'failed', blocks: string[]): TestSpectrum => ({ testId, outcome, blocks });

test('mutation evidence: the best mutant per block; fixing failing tests counts, a mutant that breaks passing ones does not', () => {
  const tests = [spectrum('f1', 'failed', ['b1', 'b2']), spectrum('f2', 'failed', ['b1', 'b2']), spectrum('p1', 'passed', ['b1', 'b2'])];
  const mutants: Mutant[] = [
    { id: 'm1', blockId: 'b1', start: 0, end: 1, replacement: 'x', description: 'a → x' },
    { id: 'm2', blockId: 'b2', start: 2, end: 3, replacement: 'y', description: '< → <=' },
    { id: 'm3', blockId: 'b2', start: 2, end: 3, replacement: 'z', description: '< → >' },
  ];
  const evidence = mutationEvidence(mutants, {
    outcomes: [
      { mutant: 'm1', tests: { f1: 'passed', f2: 'failed', p1: 'failed' } },
      { mutant: 'm2', tests: { f1: 'passed', f2: 'passed', p1: 'passed' } },
      { mutant: 'm3', tests: {}, skipped: 'budget' },
    ],
  }, tests);
  assert.equal(evidence.get('b2')!.score, 1);
  assert.deepEqual(evidence.get('b2')!.best, { description: '< → <=', fixed: 2, broke: 0 });
  assert.equal(evidence.get('b2')!.ran, 1);
  // A mutant that turns a failing test but breaks a passing one is no fix: it counts for nothing.
  assert.equal(evidence.get('b1')!.score, 0);
  assert.equal(evidence.get('b1')!.best, undefined);
  // Metallaxis, measured in the bench, would count it: 1 / sqrt(2 × (1 + 1)).
  const metallaxis = mutationEvidence(mutants, { outcomes: [{ mutant: 'm1', tests: { f1: 'passed', f2: 'failed', p1: 'failed' } }] }, tests, 'metallaxis');
  assert.equal(metallaxis.get('b1')!.score, 0.5);
  // The ranking: the two blocks tie on the spectra; the mutant that fixes everything decides, and says so.
  const blocks = ['b1', 'b2'].map((id, i) => ({ id, kind: 'straight' as const, text: `x${i} = 1`, successors: [], range: { start: { line: i + 1, character: 0 }, end: { line: i + 1, character: 6 } } }));
  const ranked = rankSuspiciousBlocks(blocks, tests, {}, undefined, evidence).blocks;
  assert.equal(ranked[0]!.id, 'b2');
  assert.match(ranked[0]!.reason, /with < → <= here, 2 of 2 failing tests pass, no passing test breaks/);
  assert.equal(rankSuspiciousBlocks(blocks, tests, { mutant: 0 }, undefined, evidence).blocks[0]!.id, 'b1');
});

test('the mutants run one block at a time in turn, the most suspicious block first, up to the count', () => {
  const m = (id: string, blockId: string) => ({ id, blockId });
  // b2 is long (five mutants); b1 and b3 have one and two.
  const all = [m('m1', 'b1'), m('m2', 'b2'), m('m3', 'b2'), m('m4', 'b2'), m('m5', 'b2'), m('m6', 'b2'), m('m7', 'b3'), m('m8', 'b3'), m('m9', 'b4')];
  const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
  assert.deepEqual(ids(scheduleMutants(all, ['b2', 'b3', 'b1'], 4)), ['m2', 'm7', 'm1', 'm3']);
  assert.deepEqual(ids(scheduleMutants(all, ['b2', 'b3', 'b1'], 100)), ['m2', 'm7', 'm1', 'm3', 'm8', 'm4', 'm5', 'm6']);
  assert.deepEqual(scheduleMutants(all, [], 10), []);
  assert.deepEqual(scheduleMutants(all, ['b1'], 0), []);
});
