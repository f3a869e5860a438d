// `ducktrace fix --cwd DIR [--test TEST] [--max-iterations N] [--write] [--json]`: Iterate Until
// Green in a terminal or CI. With --write the loop applies each fix, reruns the tests, and keeps
// or reverts it. Without --write nothing on disk changes: the tests need the real files, so a
// dry run cannot iterate; it diagnoses each failing test once and prints the proposed diffs.
import { createTwoFilesPatch } from 'diff';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { iterateUntilGreen, type IterationRecord, type LoopSummary } from '../../core/loop/iterateUntilGreen';
import { frameworks, isFramework, type Framework } from '../../core/failures/testFailure';
import type { ModelClient } from '../../core/modelClient';
import { createFsLoopPorts, type FsLoopOptions } from '../loop/fsLoopPorts';
import { endpointFromEnv } from '../models/endpointFromEnv';
import { OpenAiCompatibleClient, type OpenAiEndpoint } from '../models/openAiCompatibleClient';
import type { CliCommand, CliOutput } from './commands';

const usage = 'fix --cwd DIR [--test TEST] [--max-iterations N] [--write] [--json]';

export interface FixArgs {
  readonly cwd: string;
  readonly test?: string;
  readonly maxIterations: number;
  readonly write: boolean;
  readonly json: boolean;
  readonly framework: Framework | 'auto';
  readonly timeoutSeconds: number;
  readonly python: string;
  readonly allowTestEdits: boolean;
}

export function parseFixArgs(args: readonly string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): FixArgs | string {
  let dir: string | undefined;
  let test: string | undefined;
  let maxIterations = 5;
  let write = false;
  let json = false;
  let framework: Framework | 'auto' = 'auto';
  let timeoutSeconds = 30;
  let python = env.DUCKTRACE_PYTHON || 'python3';
  let allowTestEdits = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--write') write = true;
    else if (flag === '--json') json = true;
    else if (flag === '--allow-test-edits') allowTestEdits = true;
    else if (flag === '--cwd') dir = value();
    else if (flag === '--test') test = value();
    else if (flag === '--python') python = value() ?? python;
    else if (flag === '--framework') {
      const v = value() ?? '';
      if (v !== 'auto' && !isFramework(v)) return `--framework must be one of auto, ${frameworks.join(', ')} (not '${v}')`;
      framework = v;
    } else if (flag === '--max-iterations') {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) return `--max-iterations needs a positive whole number, not '${text ?? ''}'`;
      maxIterations = n;
    } else if (flag === '--timeout') {
      const n = Number(value());
      if (!Number.isFinite(n) || n <= 0) return '--timeout needs a positive number of seconds';
      timeoutSeconds = n;
    } else return `unknown ${flag.startsWith('-') ? 'option' : 'argument'} '${arg}'`;
  }
  if (!dir) return 'missing --cwd DIR';
  if (test === '') return '--test needs a TEST';
  return { cwd: resolve(cwd, dir), ...(test ? { test } : {}), maxIterations, write, json, framework, timeoutSeconds, python, allowTestEdits };
}

// The endpoint and its limits from DUCKTRACE_* variables (kept importable from here).
export { endpointFromEnv };

export interface FixDependencies {
  readonly env?: NodeJS.ProcessEnv;
  /** Tests pass a double; the CLI builds an OpenAI-compatible client from the environment. */
  readonly model?: (endpoint: OpenAiEndpoint) => ModelClient;
  readonly helpersDir?: string;
}

/** What `--json` prints. In a dry run `stop` is 'dry-run' and each iteration is one proposal. */
export interface FixReport {
  readonly stop: LoopSummary['stop'] | 'dry-run';
  readonly write: boolean;
  readonly message: string;
  readonly iterations: readonly { iteration: number; test: string; testId: string; result: string; detail: string; summary?: string; file?: string; diff?: string }[];
  readonly fixed: readonly string[];
  readonly stillFailing: readonly { testId: string; name: string; why: string }[];
  /** With --write: what changed on disk; in a dry run: every proposal, one after another. */
  readonly diff: string;
}

export function createFixCommand(deps: FixDependencies = {}): CliCommand {
  return {
    name: 'fix',
    usage,
    summary: 'iterate until green: diagnose failing tests, apply fixes (--write), rerun, keep or revert',
    help: [
      `Usage: ducktrace ${usage} [--framework F] [--timeout S] [--python PATH] [--allow-test-edits]`,
      '',
      'Runs the tests of DIR, asks the model about the most informative failure (blocks, runtime',
      'values, the duck), and with --write applies the fix, reruns the tests and keeps it or',
      'reverts it, until the tests pass or a stop rule fires. The timeline prints each iteration',
      'with the unified diff of its change.',
      '',
      'Without --write nothing changes on disk: a dry run diagnoses each failing test once and',
      'prints the proposed diffs (the tests need the real files, so it cannot iterate).',
      '',
      '  --cwd DIR             the project folder (required)',
      '  --test TEST           only this test: a pytest node id, a test name, a file or a class;',
      '                        other failing tests are left alone unless a fix breaks them',
      '  --max-iterations N    at most N fixes tried (default 5)',
      '  --write               apply fixes to the files (atomically; originals are checkpointed in',
      '                        the temp folder until the loop ends)',
      '  --json                print { stop, iterations, fixed, stillFailing, diff }',
      '  --framework NAME      auto (default), pytest, node, jest or vitest',
      '  --timeout SECONDS     per-test timeout (default 30)',
      '  --python PATH         Python for pytest and the tracer (default: $DUCKTRACE_PYTHON or python3)',
      '  --allow-test-edits    let fixes edit test files (default: refused)',
      '',
      'The model: DUCKTRACE_BASE_URL (an OpenAI-compatible endpoint ending in /v1), DUCKTRACE_MODEL,',
      'and DUCKTRACE_API_KEY when the endpoint needs a key. Each model request gives up after',
      'DUCKTRACE_MODEL_TIMEOUT_SECONDS (default 120, retries included); answers are limited to',
      'DUCKTRACE_MAX_OUTPUT_TOKENS (4096); prompts fit DUCKTRACE_MAX_INPUT_TOKENS (16000). A model',
      'that cannot be asked (no answer in time, unreachable, key refused) stops the loop.',
      '',
      'Exit status: 0 when the tests pass (or nothing failed), 1 when tests still fail or could not',
      'be run, 2 on usage or configuration errors.',
    ].join('\n'),
    async run(args: string[], out: CliOutput): Promise<number> {
      const env = deps.env ?? process.env;
      const parsed = parseFixArgs(args, process.cwd(), env);
      if (typeof parsed === 'string') {
        out.stderr(`ducktrace fix: ${parsed}\nUsage: ducktrace ${usage}\n`);
        return 2;
      }
      if (!existsSync(parsed.cwd) || !statSync(parsed.cwd).isDirectory()) {
        out.stderr(`ducktrace fix: no such folder: ${parsed.cwd}\n`);
        return 2;
      }
      const endpoint = endpointFromEnv(env);
      if (typeof endpoint === 'string') {
        out.stderr(`ducktrace fix: ${endpoint}\n`);
        return 2;
      }
      const client = (deps.model ?? ((e) => new OpenAiCompatibleClient(e)))(endpoint);
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      const rel = (file: string) => relative(parsed.cwd, file).split('\\').join('/') || file;
      const progress = (text: string) => {
        if (!parsed.json) out.stderr(text);
      };
      const options: FsLoopOptions = {
        cwd: parsed.cwd,
        framework: parsed.framework,
        testTimeoutMs: parsed.timeoutSeconds * 1000,
        python: parsed.python,
        ...(deps.helpersDir ? { helpersDir: deps.helpersDir } : {}),
        model: async () => client,
        ...(parsed.test ? { only: parsed.test } : {}),
        write: parsed.write,
        allowTestEdits: parsed.allowTestEdits,
      };
      const ports = createFsLoopPorts(options);
      let finished = false;
      try {
        const report = parsed.write ? await loop(ports, parsed, controller.signal, out, rel, progress) : await dryRun(ports, controller.signal, out, rel, progress, parsed.json);
        if (parsed.json) out.stdout(JSON.stringify(report, null, 2) + '\n');
        else {
          out.stdout(`\n${report.message}\n`);
          if (report.fixed.length) out.stdout(`Fixed: ${report.fixed.map((id) => rel(id.split('::')[0]!) + id.slice(id.indexOf('::'))).join(', ')}\n`);
          for (const s of report.stillFailing) out.stdout(`Still failing: ${s.name}: ${s.why}\n`);
        }
        finished = true;
        return report.stop === 'green' || report.stop === 'nothing-to-fix' ? 0 : 1;
      } finally {
        process.removeListener('SIGINT', onSigint);
        // After a crash the checkpoint is the only copy of the originals: keep it and say where.
        if (finished || !existsSync(ports.checkpointFile)) await ports.dispose();
        else out.stderr(`ducktrace fix: stopped by an error; the original files are kept in ${ports.checkpointFile}\n`);
      }
    },
  };
}

type Ports = ReturnType<typeof createFsLoopPorts>;

async function loop(ports: Ports, args: FixArgs, signal: AbortSignal, out: CliOutput, rel: (f: string) => string, progress: (t: string) => void): Promise<FixReport> {
  const iterations: FixReport['iterations'][number][] = [];
  // The loop records a reverted fix with the file as it was; the timeline still shows what was tried.
  let attempted: { file: string; before: string; after: string } | undefined;
  const summary = await iterateUntilGreen(
    {
      ...ports,
      review: async (file, newText, signal) => {
        attempted = { file, before: await ports.readFile(file), after: newText };
        return ports.review(file, newText, signal);
      },
      onEvent: (e) => {
        if (e.type === 'phase') progress(`… ${e.phase}${e.test ? ` (${e.test})` : ''}\n`);
        else {
          let item = itemOf(e.record, rel);
          if (e.record.result === 'reverted' && attempted && attempted.file === e.record.file) item = { ...item, diff: patch(rel(attempted.file), attempted.before, attempted.after) };
          attempted = undefined;
          iterations.push(item);
          if (!args.json) out.stdout(formatIteration(item));
        }
      },
    },
    { maxIterations: args.maxIterations, signal },
  );
  const diffs: string[] = [];
  for (const [file, original] of summary.originals) {
    const now = await readFile(file, 'utf8').catch(() => original);
    if (now !== original) diffs.push(patch(rel(file), original, now));
  }
  return { stop: summary.stop, write: true, message: summary.message, iterations, fixed: summary.fixed, stillFailing: summary.stillFailing, diff: diffs.join('') };
}

/** One diagnosis per failing test, nothing applied: the tests would need the changed files on disk. */
async function dryRun(ports: Ports, signal: AbortSignal, out: CliOutput, rel: (f: string) => string, progress: (t: string) => void, json: boolean): Promise<FixReport> {
  progress('… running tests\n');
  let run;
  try {
    run = await ports.runTests(signal);
  } catch (err) {
    const message = `The tests could not be run: ${err instanceof Error ? err.message : String(err)}`;
    return { stop: 'error', write: false, message, iterations: [], fixed: [], stillFailing: [], diff: '' };
  }
  if (run.failures.length === 0) return { stop: 'nothing-to-fix', write: false, message: 'All tests already pass.', iterations: [], fixed: [], stillFailing: [], diff: '' };
  const iterations: FixReport['iterations'][number][] = [];
  const diffs: string[] = [];
  let n = 0;
  for (const failure of run.failures) {
    if (signal.aborted) break;
    progress(`… asking the model (${failure.name})\n`);
    const proposal = await ports.propose(failure, [], signal).catch((err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }));
    let item: FixReport['iterations'][number];
    const base = { iteration: ++n, test: failure.name, testId: failure.testId };
    if (!proposal.ok) item = { ...base, result: 'model-error', detail: proposal.error };
    else if ('testIsWrong' in proposal) item = { ...base, result: 'test-claim', detail: proposal.testIsWrong, summary: proposal.summary };
    else {
      const before = await ports.readFile(proposal.file);
      const diff = patch(rel(proposal.file), before, proposal.newText);
      diffs.push(diff);
      const refused = ports.isTestFile(proposal.file) && !(await ports.mayEditTests());
      item = { ...base, result: refused ? 'test-file-refused' : 'proposed', detail: refused ? `The fix edits the test file ${rel(proposal.file)}; it would be refused without --allow-test-edits.` : 'Proposed; not applied (dry run: add --write to apply and rerun).', summary: proposal.summary, file: rel(proposal.file), diff };
    }
    iterations.push(item);
    if (!json) out.stdout(formatIteration(item));
    // The model cannot be asked at all: the other failures would wait out the same budget.
    if (!proposal.ok && 'modelUnavailable' in proposal && proposal.modelUnavailable) {
      const message = `Dry run stopped: the model could not be asked. ${proposal.error}`;
      return { stop: 'error', write: false, message, iterations, fixed: [], stillFailing: run.failures.map((f) => ({ testId: f.testId, name: f.name, why: f.message.split('\n')[0] ?? '' })), diff: diffs.join('') };
    }
  }
  const message = `Dry run: ${diffs.length} fix${diffs.length === 1 ? '' : 'es'} proposed for ${run.failures.length} failing test${run.failures.length === 1 ? '' : 's'}; nothing was changed (add --write to apply them).`;
  return {
    stop: 'dry-run',
    write: false,
    message,
    iterations,
    fixed: [],
    stillFailing: run.failures.map((f) => ({ testId: f.testId, name: f.name, why: f.message.split('\n')[0] ?? '' })),
    diff: diffs.join(''),
  };
}

function itemOf(r: IterationRecord, rel: (f: string) => string): FixReport['iterations'][number] {
  const changed = r.file !== undefined && r.before !== undefined && r.after !== undefined && r.before !== r.after;
  return {
    iteration: r.iteration,
    test: r.testName,
    testId: r.testId,
    result: r.result,
    detail: r.detail,
    ...(r.summary ? { summary: r.summary } : {}),
    ...(r.file ? { file: rel(r.file) } : {}),
    ...(changed ? { diff: patch(rel(r.file!), r.before!, r.after!) } : {}),
  };
}

function formatIteration(item: FixReport['iterations'][number]): string {
  const lines = [`[${item.iteration}] ${item.test}: ${item.result}: ${item.detail}`];
  if (item.summary) lines.push(`    ${item.summary.split('\n')[0]}`);
  if (item.diff) lines.push(item.diff.trimEnd());
  return lines.join('\n') + '\n';
}

function patch(file: string, before: string, after: string): string {
  return createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, undefined, undefined, { context: 3 });
}

export const fixCommand = createFixCommand();
