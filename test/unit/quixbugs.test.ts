// The 40 QuixBugs Python programs (read in place from ../shared/bench/quixbugs, never copied):
// every function segments with the invariants holding, and each known buggy line falls in
// exactly one block of the function that contains it.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { segmentFunction } from '../../src/core/blocks/basicBlocks';
import { findFunctionAtLine } from '../../src/core/blocks/functionFinder';
import { blockInvariantProblems } from './support/blockInvariants';
import { parseSource, repoRoot } from './support/fixtures';

const quixbugs = join(repoRoot, '..', 'shared', 'bench', 'quixbugs');
const bugLinesFile = join(quixbugs, 'bug_lines.json');
const skip = existsSync(bugLinesFile) ? false : `QuixBugs not found at ${quixbugs}`;

test('QuixBugs: every program segments, and every buggy line is in exactly one block', { skip }, async () => {
  const bugLines = JSON.parse(readFileSync(bugLinesFile, 'utf8')) as Record<string, number[]>;
  const programs = Object.keys(bugLines);
  assert.equal(programs.length, 40);
  let functions = 0;
  for (const program of programs) {
    const source = readFileSync(join(quixbugs, 'python_programs', `${program}.py`), 'utf8');
    const p = await parseSource(source, 'python');
    try {
      assert.ok(p.functions.some((f) => f.qualifiedName === program), `${program} defines ${program}()`);
      for (const fn of p.functions) {
        const blocks = segmentFunction(fn, source, 'python', p.lines);
        assert.deepEqual(blockInvariantProblems(blocks, fn, source, { oneBlockPerLine: true }), [], `${program}: ${fn.qualifiedName}`);
        functions++;
      }
      for (const line of bugLines[program]) {
        // The innermost function holding the line, as `ducktrace blocks --line` picks it.
        const fn = findFunctionAtLine(p.functions, line);
        assert.ok(fn, `${program}:${line} is inside a function`);
        const blocks = segmentFunction(fn, source, 'python', p.lines);
        const holding = blocks.filter((b) => b.range.start.line <= line && line <= b.range.end.line);
        assert.equal(holding.length, 1, `${program}:${line} (${fn.qualifiedName}) is in ${holding.map((b) => b.id).join(', ') || 'no block'}`);
      }
    } finally {
      p.tree.delete();
    }
  }
  assert.ok(functions >= 40);
});
