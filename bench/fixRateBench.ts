// The LDB ablation with a real model: the fix rate on QuixBugs with runtime values in the prompt
// and without, and tokens per fix. Runs only when an endpoint is configured (DUCKTRACE_BASE_URL,
// DUCKTRACE_MODEL, DUCKTRACE_API_KEY); otherwise it says it was skipped. Each program is copied to
// a temp folder and given up to two iterations of the real loop (real tests, tracing, patching).
import { mkdtemp, rm } from 'node:fs/promises';
import { copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { iterateUntilGreen } from '../src/core/loop/iterateUntilGreen';
import { createFsLoopPorts } from '../src/host/loop/fsLoopPorts';
import { OpenAiCompatibleClient } from '../src/host/models/openAiCompatibleClient';
import { TreeSitterParser, defaultTreeSitterPaths } from '../src/host/treeSitter';
import type { BenchSection, Figure } from './benchTypes';
import { copyProgram, failingNames, inLanes } from './pipelineBench';
import { bugLines, quixbugsDir } from './quixbugs';

export const fixRateBench: BenchSection = {
  name: 'fixRate',
  async run({ repoRoot }) {
    const baseUrl = process.env.DUCKTRACE_BASE_URL;
    const modelName = process.env.DUCKTRACE_MODEL;
    if (!baseUrl || !modelName) {
      return [{ key: 'skipped', label: 'fix rate with a real model (LDB ablation)', value: null, note: 'skipped: set DUCKTRACE_BASE_URL and DUCKTRACE_MODEL (and DUCKTRACE_API_KEY) to measure' }];
    }
    const q = quixbugsDir(repoRoot);
    if (!q) return [{ key: 'skipped', label: 'fix rate: skipped', value: null, note: 'QuixBugs not found' }];
    const model = new OpenAiCompatibleClient({ baseUrl, model: modelName, apiKey: process.env.DUCKTRACE_API_KEY ?? '' });
    const parser = new TreeSitterParser(defaultTreeSitterPaths(join(repoRoot, 'out')));
    const helpersDir = await mkdtemp(join(tmpdir(), 'ducktrace-fixrate-helpers-'));
    copyFileSync(join(repoRoot, 'src/host/runners/python/ducktrace_pytest.py'), join(helpersDir, 'ducktrace_pytest.py'));
    const programs = Object.keys(bugLines(q));
    const figures: Figure[] = [];
    for (const withTrace of [true, false]) {
      const outcomes = await inLanes(programs, 2, async (program) => {
        const dir = await mkdtemp(join(tmpdir(), `ducktrace-fixrate-${program}-`));
        try {
          mkdirSync(dir, { recursive: true });
          copyProgram(q, dir, program, false);
          const ports = createFsLoopPorts({ cwd: dir, framework: 'pytest', testTimeoutMs: 2000, helpersDir, model: async () => model, write: true, trace: withTrace, parser });
          const summary = await iterateUntilGreen(ports, { maxIterations: 2 });
          await ports.dispose();
          // Fixed: every test that fails with the buggy program but not with the correct one passes now.
          const after = await failingNames(dir, helpersDir);
          const correct = join(dir, 'correct');
          copyProgram(q, correct, program, true);
          const baseline = await failingNames(correct, helpersDir);
          const fixed = [...after.failing.keys()].every((name) => baseline.failing.has(name));
          return { fixed, tokens: summary.tokens };
        } catch {
          return { fixed: false, tokens: 0 };
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
      const fixedCount = outcomes.filter((o) => o.fixed).length;
      const tokens = outcomes.reduce((s, o) => s + o.tokens, 0);
      const tag = withTrace ? 'withTrace' : 'withoutTrace';
      figures.push({ key: `${tag}.fixed`, label: `fix rate ${withTrace ? 'with' : 'without'} runtime values (${modelName})`, value: `${fixedCount}/${programs.length}` });
      figures.push({ key: `${tag}.tokensPerFix`, label: `tokens per fix ${withTrace ? 'with' : 'without'} runtime values`, value: fixedCount ? Math.round(tokens / fixedCount) : null });
    }
    await rm(helpersDir, { recursive: true, force: true });
    return figures;
  },
};

