// How long a model request takes to give up against servers that misbehave, with a 5 s budget:
// through the client (a server that never answers, one that answers the headers and then nothing,
// one that stalls mid-answer, one that streams forever) and through the whole `ducktrace fix
// --write` process against a server that never answers (its tests run first; the figure that
// matters is from the request to the end of the process, goal: the budget plus 10 s at most).
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OpenAiCompatibleClient } from '../src/host/models/openAiCompatibleClient';
import type { BenchSection, Figure } from './benchTypes';

const budgetSeconds = 5;

interface ScriptedServer {
  baseURL: string;
  requests: { at: number }[];
  close(): Promise<void>;
}

export const modelBudgetBench: BenchSection = {
  name: 'modelBudget',
  async run({ repoRoot }) {
    const { startScriptedModelServer } = (await import(pathToFileURL(join(repoRoot, 'test/support/scriptedModelServer.mjs')).href)) as {
      startScriptedModelServer(options: { steps: object[] }): Promise<ScriptedServer>;
    };
    const figures: Figure[] = [];
    const cases: [string, string, object][] = [
      ['hang', 'no headers', { hang: true }],
      ['hangAfterHeaders', 'headers, then nothing', { hangAfterHeaders: true }],
      ['stall', 'a few chunks, then silence', { stallAfter: 'The loop bound is off by one, because' }],
      ['endless', 'a chunk every 50 ms, forever', { endless: true, chunkDelayMs: 50 }],
    ];
    for (const [key, what, step] of cases) {
      const server = await startScriptedModelServer({ steps: [step] });
      try {
        const client = new OpenAiCompatibleClient({ baseUrl: server.baseURL, model: 'scripted', timeoutMs: budgetSeconds * 1000 });
        const t0 = Date.now();
        const error = await client.chat({ messages: [{ role: 'user', content: 'why?' }] }).then(
          () => 'answered',
          (e: unknown) => (e instanceof Error ? e.message : String(e)),
        );
        figures.push({ key: `client.${key}`, label: `model request, ${budgetSeconds} s budget, server: ${what}`, value: (Date.now() - t0) / 1000, unit: 's', target: `≤ ${budgetSeconds} s`, note: `${server.requests.length} request(s): ${error.slice(0, 90)}…` });
      } finally {
        await server.close();
      }
    }

    const server = await startScriptedModelServer({ steps: [{ hang: true }] });
    const dir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-budget-'));
    try {
      cpSync(join(repoRoot, 'test/fixtures/loop/python'), dir, { recursive: true, filter: (src) => !/__pycache__|\.pytest_cache/.test(src) });
      const t0 = Date.now();
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [join(repoRoot, 'dist/cli.js'), 'fix', '--cwd', dir, '--write', '--json'], {
          env: { ...process.env, DUCKTRACE_BASE_URL: server.baseURL, DUCKTRACE_MODEL: 'scripted', DUCKTRACE_MODEL_TIMEOUT_SECONDS: String(budgetSeconds) },
          stdio: 'ignore',
        });
        child.on('error', reject);
        child.on('close', resolve);
      });
      const ended = Date.now();
      const asked = server.requests[0]?.at;
      figures.push({ key: 'fix.total', label: `ducktrace fix --write, server never answers, ${budgetSeconds} s budget: whole run`, value: (ended - t0) / 1000, unit: 's', note: `exit ${code}; the tests run and are traced first` });
      figures.push({
        key: 'fix.afterRequest',
        label: `… from the model request to the end of the process`,
        value: asked ? (ended - asked) / 1000 : null,
        unit: 's',
        target: `≤ ${budgetSeconds + 10} s`,
        note: `${server.requests.length} request(s) seen by the server`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await server.close();
    }
    return figures;
  },
};
