// `ducktrace fix --cwd DIR [--test TEST] [--target FILE:FUNCTION] [--write] [--json]`: Iterate
// Until Green in a terminal or CI. With --write the loop applies each fix, reruns the tests (in a
// sandbox where bubblewrap is available), and keeps or reverts it. Without --write nothing on disk
// changes and no proposed code runs: the tests need the real files, so a dry run cannot iterate;
// it diagnoses each failing test once and prints the proposed diffs.
import { createTwoFilesPatch } from 'diff';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { defaultNeverSend } from '../../core/duck/redaction';
import { iterateUntilGreen, type FixProposal, type IterationRecord, type LoopSummary } from '../../core/loop/iterateUntilGreen';
import type { ModelClient } from '../../core/modelClient';
import { createFsLoopPorts, type FsLoopOptions } from '../loop/fsLoopPorts';
import { OpenAiCompatibleClient } from '../models/openAiCompatibleClient';
import { chooseSandbox, sandboxModes, type SandboxMode } from '../process/sandbox';
import { resolveTarget, type TargetSpec } from '../tracers/traceTarget';
import {
  defineCommand,
  describeChosenTarget,
  endpointFromEnv,
  endpointHelp,
  ExitCode,
  failure,
  projectRunArgs,
  projectRunOptions,
  type ProjectRunArgs,
  messageOf,
  positiveInteger,
  targetHint,
  targetOption,
  type CliOptions,
  type CliOutput,
  type DefinedCommand,
  type Endpoint,
  type ParseContext,
  type ParsedCommandLine,
} from './cliSupport';

const usage = 'fix --cwd DIR [--test TEST] [--target FILE:FUNCTION] [--max-iterations N] [--write] [--json]';

export interface FixArgs extends ProjectRunArgs {
  readonly cwd: string;
  readonly test?: string;
  readonly target?: TargetSpec;
  readonly maxIterations: number;
  readonly write: boolean;
  readonly json: boolean;
  readonly allowTestEdits: boolean;
  readonly sandbox: SandboxMode;
}

const options = {
  cwd: { type: 'string', value: 'DIR', help: 'the project folder (required)' },
  test: { type: 'string', value: 'TEST', help: 'only this test: a pytest node id, a test name, a file or a class;\nother failing tests are left alone unless a fix breaks them' },
  target: { type: 'string', value: 'FILE:FUNCTION', help: 'the function to blame for the chosen test(s), instead of finding\nit from each failure: gcd, Cart.total, outer.inner; or FILE:LINE' },
  'max-iterations': { type: 'string', value: 'N', help: 'at most N fixes tried (default 5); failures with no function to\nblame are reported and skipped without using one' },
  write: { type: 'boolean', help: 'apply fixes to the files (atomically; originals are checkpointed in\nthe temp folder until the loop ends) and rerun the tests on them' },
  json: { type: 'boolean', help: 'print { stop, iterations, fixed, stillFailing, diff, sandboxed }' },
  ...projectRunOptions,
  'allow-test-edits': { type: 'boolean', help: 'let fixes edit test files (default: refused)' },
  sandbox: { type: 'string', value: 'MODE', help: "auto (default): with --write, test runs after a model's change run in\nbubblewrap (Linux): no network, writes only in DIR and a private TMPDIR;\noff: they run with your permissions" },
} as const satisfies CliOptions;

export function parseFixArgs(args: readonly string[], cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): FixArgs | string {
  return fixCommand.parse(args, { cwd, env });
}

function checkFixArgs({ values }: ParsedCommandLine<typeof options>, context: ParseContext): FixArgs | string {
  if (!values.cwd) return 'missing --cwd DIR';
  if (values.test === '') return '--test needs a TEST';
  const run = projectRunArgs(values, context.env);
  if (typeof run === 'string') return run;
  const maxIterations = positiveInteger('--max-iterations', values['max-iterations']) ?? 5;
  if (typeof maxIterations === 'string') return maxIterations;
  const target = targetOption(values.target);
  if (typeof target === 'string') return target;
  const sandbox = values.sandbox ?? 'auto';
  if (!(sandboxModes as readonly string[]).includes(sandbox)) return `--sandbox must be auto or off (not '${sandbox}')`;
  return {
    cwd: resolve(context.cwd, values.cwd),
    ...(values.test ? { test: values.test } : {}),
    ...(target ? { target } : {}),
    maxIterations,
    write: values.write === true,
    json: values.json === true,
    ...run,
    allowTestEdits: values['allow-test-edits'] === true,
    sandbox: sandbox as SandboxMode,
  };
}

export interface FixDependencies {
  readonly env?: NodeJS.ProcessEnv;
  /** Tests pass a double; the CLI builds an OpenAI-compatible client from the environment. */
  readonly model?: (endpoint: Endpoint) => ModelClient;
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
  /** Whether test runs after a model's change were fenced (bubblewrap). */
  readonly sandboxed?: boolean;
}

export function createFixCommand(deps: FixDependencies = {}): DefinedCommand<FixArgs> {
  return defineCommand({
    name: 'fix',
    usage,
    usageLine: `Usage: ducktrace ${usage}\n       [--framework F] [--timeout S] [--python PATH] [--allow-test-edits] [--sandbox auto|off] [--never-send GLOB]`,
    summary: 'iterate until green: diagnose failing tests, apply fixes (--write), rerun, keep or revert',
    description: [
      'Runs the tests of DIR, asks the model about the most informative failure (blocks, runtime',
      'values, the duck), and with --write applies the fix, reruns the tests and keeps it or',
      'reverts it, until the tests pass or a stop rule fires. A fix that makes a passing test fail,',
      'a test file stop loading or a test stop running is reverted. The timeline prints each',
      'iteration with the unified diff of its change.',
      '',
      "With --write, rerunning the tests runs the model's code right away: on Linux with bubblewrap",
      'those runs are sandboxed (see --sandbox); elsewhere they run with your permissions.',
      '',
      'Without --write nothing changes on disk and no proposed code runs: a dry run diagnoses each',
      'failing test once and prints the proposed diffs (the tests need the real files, so it cannot',
      'iterate).',
    ],
    options,
    footer: [
      ...endpointHelp,
      'A model that cannot be asked (no answer in time, unreachable, key refused) stops the loop.',
      'Values of DIR/.env files and DUCKTRACE_API_KEY are redacted from everything sent.',
      '',
      'Exit status: 0 when the tests pass (or nothing failed), 1 when tests still fail or could not',
      'be run, 2 on usage or configuration errors.',
    ],
    check: checkFixArgs,
    async execute(parsed, out) {
      const env = deps.env ?? process.env;
      if (!existsSync(parsed.cwd) || !statSync(parsed.cwd).isDirectory()) return failure(out, 'fix', `no such folder: ${parsed.cwd}`, ExitCode.usage);
      const endpoint = endpointFromEnv(env);
      if (typeof endpoint === 'string') return failure(out, 'fix', endpoint, ExitCode.usage);
      if (parsed.target) {
        // A named target that is not there is a usage error, before anything runs.
        try {
          await resolveTarget(parsed.cwd, parsed.target);
        } catch (err) {
          return failure(out, 'fix', `--target ${parsed.target.file}:${parsed.target.function}: ${messageOf(err)}`, ExitCode.usage);
        }
      }
      const client = (deps.model ?? ((e) => new OpenAiCompatibleClient(e)))(endpoint);
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      const rel = (file: string) => relative(parsed.cwd, file).split('\\').join('/') || file;
      const progress = (text: string) => {
        if (!parsed.json) out.stderr(text);
      };
      // Only --write runs the model's code; the dry run never does.
      const fence = parsed.write ? chooseSandbox(parsed.sandbox, [parsed.cwd]) : {};
      if (fence.notice) out.stderr(`ducktrace fix: ${fence.notice}\n`);
      const loopOptions: FsLoopOptions = {
        cwd: parsed.cwd,
        framework: parsed.framework,
        testTimeoutMs: parsed.timeoutSeconds * 1000,
        python: parsed.python,
        ...(deps.helpersDir ? { helpersDir: deps.helpersDir } : {}),
        model: async () => client,
        ...(parsed.test ? { only: parsed.test } : {}),
        ...(parsed.target ? { target: parsed.target } : {}),
        write: parsed.write,
        allowTestEdits: parsed.allowTestEdits,
        neverSend: [...defaultNeverSend, ...parsed.neverSend],
        secretValues: endpoint.apiKey ? [endpoint.apiKey] : [],
        ...(endpoint.limits?.maxReplyBytes ? { maxReplyBytes: endpoint.limits.maxReplyBytes } : {}),
        ...(fence.sandbox ? { sandbox: fence.sandbox } : {}),
        onDiagnose: (_failure, event) => {
          const line = describeChosenTarget(event, rel);
          if (line) progress(line);
        },
      };
      const ports = createFsLoopPorts(loopOptions);
      let finished = false;
      try {
        const report = parsed.write ? await loop(ports, parsed, controller.signal, out, rel, progress) : await dryRun(ports, controller.signal, out, rel, progress, parsed.json);
        const full = { ...report, ...(parsed.write ? { sandboxed: !!fence.sandbox } : {}) };
        if (parsed.json) out.stdout(JSON.stringify(full, null, 2) + '\n');
        else {
          out.stdout(`\n${report.message}\n`);
          if (report.fixed.length) out.stdout(`Fixed: ${report.fixed.map((id) => rel(id.split('::')[0]!) + id.slice(id.indexOf('::'))).join(', ')}\n`);
          for (const s of report.stillFailing) out.stdout(`Still failing: ${s.name}: ${s.why}\n`);
        }
        finished = true;
        return report.stop === 'green' || report.stop === 'nothing-to-fix' ? ExitCode.ok : ExitCode.failed;
      } finally {
        process.removeListener('SIGINT', onSigint);
        // After a crash the checkpoint is the only copy of the originals: keep it and say where.
        if (finished || !existsSync(ports.checkpointFile)) await ports.dispose();
        else out.stderr(`ducktrace fix: stopped by an error; the original files are kept in ${ports.checkpointFile}\n`);
      }
    },
  });
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
    const proposal: FixProposal = await ports.propose(failure, [], signal).catch((err: unknown) => ({ ok: false as const, error: messageOf(err) }));
    let item: FixReport['iterations'][number];
    const base = { iteration: ++n, test: failure.name, testId: failure.testId };
    if (!proposal.ok) item = { ...base, result: proposal.reason === 'no-target' || proposal.reason === 'not-sent' ? proposal.reason : 'model-error', detail: proposal.reason === 'no-target' ? proposal.error + targetHint : proposal.error };
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
    detail: r.result === 'no-target' ? r.detail + targetHint : r.detail,
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
