// ducktrace_failingTests: the project's failing tests, run now or remembered while fresh, as a
// list a model reads at a glance (id, place, message, expected/actual, the frames in the project's
// code) and as TestFailure-shaped JSON with paths relative to the project folder.
import type { TestFailure } from '../../core/failures/testFailure';
import type { AgentProject, KnownResult } from './agentProject';
import type { FailingTestsInput } from './agentToolSpecs';
import type { ToolOutput } from './toolResult';

/** Failures shown in full; the rest by id only, then counted. */
const shownInFull = 25;
const listedById = 100;

export async function failingTests(project: AgentProject, input: FailingTestsInput, signal?: AbortSignal): Promise<ToolOutput> {
  const scope = input.path ? project.root.relative(await project.root.resolve(input.path, 'file or folder')) : '.';
  const remembered = input.rerun ? undefined : await project.freshRun(scope);
  const started = Date.now();
  const run = remembered ?? (await project.runTests(input.path, signal));
  const failing = run.results.filter((r) => r.result.failure);
  const rel = (file: string) => (project.root.contains(file) ? project.root.relative(file) : file);

  const text: string[] = [];
  const where = run.scope === '.' ? '' : ` in ${run.scope}`;
  const runners = [...new Set(run.frameworks)].join(', ') || 'no runner';
  text.push(run.results.length ? `${failing.length} of ${run.results.length} tests fail${where} (${runners}).` : `No test result${where} (${runners}): the run reported none${run.problems.length ? ', see the problems below' : ''}.`);
  text.push(remembered ? `Results from ${ago(Date.now() - run.at)}; no file of the project changed since (rerun: true runs them again).` : `Ran just now (${seconds(Date.now() - started)}).`);
  for (const p of run.problems) text.push(`Problem: ${p}`);
  failing.slice(0, shownInFull).forEach((f, i) => text.push('', ...describeFailure(i + 1, f, rel)));
  const byId = failing.slice(shownInFull, listedById);
  if (byId.length) text.push('', 'Also failing:', ...byId.map((f) => `- ${f.id}`));
  if (failing.length > listedById) text.push(`- … and ${failing.length - listedById} more (ask for a path to narrow the run)`);
  if (failing.length) text.push('', `Next: ducktrace_traceTest with test "${failing[0]!.id}" shows the values inside the function it fails in.`);

  const data = {
    scope: run.scope,
    ranAt: new Date(run.at).toISOString(),
    fromCache: !!remembered,
    total: run.results.length,
    failingCount: failing.length,
    problems: run.problems,
    failing: failing.map((f) => failureJson(f, rel)),
  };
  return project.redact({ text: text.join('\n'), data });
}

function describeFailure(n: number, known: KnownResult, rel: (file: string) => string): string[] {
  const f = known.result.failure!;
  const lines = [`${n}. ${known.id}  (${f.framework}, ${rel(f.file)}:${f.line})`];
  const message = f.message.trim().split('\n').slice(0, 6).map((l) => clip(l, 240));
  lines.push(...message.map((l) => `   ${l}`));
  if (f.expected !== undefined || f.actual !== undefined) lines.push(`   expected: ${clip(firstLine(f.expected), 200)}   actual: ${clip(firstLine(f.actual), 200)}`);
  const frames = f.stack.slice(0, 6).map((fr) => `${fr.function ?? '<module>'} (${rel(fr.file)}:${fr.line})`);
  if (frames.length) lines.push(`   at ${frames.join(' ← ')}`);
  return lines;
}

function failureJson(known: KnownResult, rel: (file: string) => string): Record<string, unknown> {
  const f: TestFailure = known.result.failure!;
  return {
    id: known.id,
    name: f.name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(f.name) ? rel(f.name) : f.name,
    framework: f.framework,
    file: rel(f.file),
    line: f.line,
    message: clip(f.message, 4000),
    ...(f.expected !== undefined ? { expected: clip(f.expected, 2000) } : {}),
    ...(f.actual !== undefined ? { actual: clip(f.actual, 2000) } : {}),
    stack: f.stack.map((fr) => ({ file: rel(fr.file), line: fr.line, ...(fr.column ? { column: fr.column } : {}), ...(fr.function ? { function: fr.function } : {}) })),
  };
}

const firstLine = (s: string | undefined) => (s ?? '').split('\n')[0] ?? '';
const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s ago` : `${Math.round(s / 60)} min ago`;
}
