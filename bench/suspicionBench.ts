// Suspicious blocks on the 40 QuixBugs programs, the ranking as `ducktrace localize` does it: one
// coverage run of the test file that mentions the program, the traced runs of one failing and one
// passing test for the value evidence, then the ranking; each program's plain pytest run of the
// same file beside it for the cost ratio. The target is the function holding the known buggy line
// (function-level localisation is assumed, as in the tracer's QuixBugs test). The figures, the
// baselines, the ablations and the leave-out checks are suspicionScoring.ts's.

import { join } from 'node:path';
import { localize } from '../src/host/localize/localize';
import { pythonTestFilesReaching } from '../src/host/localize/pythonSpectra';
import { runProcessTree } from '../src/host/process/processTree';
import { resolveTarget } from '../src/host/tracers/traceTarget';
import type { BenchSection } from './benchTypes';
import { bugLines, quixbugsDir } from './quixbugs';
import { benchMutantBudget, cachedCollection, inParallel, suspicionFigures, type ProgramEvidence } from './suspicionScoring';

export const suspicionBench: BenchSection = {
  name: 'suspicion',
  async run({ repoRoot }) {
    const dir = quixbugsDir(repoRoot);
    if (!dir) return [{ key: 'quixbugs.top1', label: 'suspicion on QuixBugs', value: null, note: 'skipped: ../shared/bench/quixbugs not found (DUCKTRACE_QUIXBUGS names it)' }];
    const bugs = bugLines(dir);
    const collected = await cachedCollection('quixbugs', () => inParallel(Object.keys(bugs), 2, async (program): Promise<ProgramEvidence> => {
      const file = join('python_programs', `${program}.py`);
      const target = await resolveTarget(dir, { file, function: String(bugs[program]![0]) });
      const files = await pythonTestFilesReaching(dir, file, target.blocks.function.name);
      // Hypothesis's plugin takes a second to import and QuixBugs does not use it. Endless loops are
      // cut by the coverage mode's line budget (the same place on every run).
      const pytest = ['-p', 'no:hypothesispytest', ...files];
      const plain = await runProcessTree('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', ...pytest], { cwd: dir, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' }, timeoutMs: 300_000 });
      const result = await localize({ cwd: dir, target: { file, function: target.blocks.function.name }, testCommand: `pytest ${pytest.join(' ')}`, testTimeoutSeconds: 20, timeoutMs: 300_000, mutantBudget: benchMutantBudget });
      const traced = result.values?.tests ?? [];
      return {
        program,
        blocks: result.target.blocks.blocks,
        bugLines: bugs[program]!,
        spectra: result.run.spectra,
        records: result.run.records,
        traced,
        ...(result.mutation ? { mutants: result.mutation.mutants, mutantRun: { outcomes: result.mutation.run.outcomes, elapsedMs: result.mutation.run.elapsedMs } } : {}),
        rankMs: result.elapsedMs,
        coverageMs: result.run.elapsedMs,
        plainMs: plain.elapsedMs,
      };
    }));
    return suspicionFigures('quixbugs', 'QuixBugs', collected, { top1: '≥ 32 / 40', lines: '≤ 2' });
  },
};
