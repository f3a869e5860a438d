// `ducktrace localize --cwd DIR --target FILE:FUNCTION [--test-command CMD | --tests FILE...] [--no-values] [--no-mutants] [--mutant-seconds S] [--json]`:
// runs the tests that reach the function once under a coverage mode and prints its blocks, most
// suspicious first. Exits 0 with a ranking (a warning on stderr when no failing test reached the function),
// 1 when no test reached it or the run failed, 2 on usage errors.

import { localize, type LocalizeRequest, type LocalizeResult } from '../localize/localize';
import type { JsRunner } from '../tracers/js/jsPlan';
import { defineCommand, ExitCode, failure, messageOf, positiveNumber, targetOption, type CliOptions, type DefinedCommand, type ParseContext, type ParsedCommandLine } from './cliSupport';

const jsRunners: readonly JsRunner[] = ['node', 'jest', 'vitest', 'mocha'];

const usage = 'localize --target FILE:FUNCTION [--cwd DIR] [--test-command CMD | --tests FILE...] [--no-values] [--no-mutants] [--mutant-seconds S] [--json]';

interface LocalizeArgs extends LocalizeRequest {
  readonly json: boolean;
}

const options = {
  target: { type: 'string', value: 'FILE:FUNCTION', help: 'the function: gcd, Cart.total, outer.inner; or FILE:LINE' },
  cwd: { type: 'string', value: 'DIR', help: 'where the tests are (default: the current folder)' },
  'test-command': { type: 'string', value: 'CMD', help: "Python: the pytest command selecting the tests, e.g. 'pytest tests/test_x.py'\n(default: the test files that mention the function or its module)" },
  tests: { type: 'string', multiple: true, value: 'FILE', help: 'JavaScript: a test file to run (repeatable)\n(default: the test files that mention the function or its module)' },
  framework: { type: 'string', value: 'F', help: 'JavaScript: node, jest, vitest or mocha (default: detected per test file)' },
  json: { type: 'boolean', help: 'print { blocks: [{ id, range, score, rank, heat, reason }], tests, ... }' },
  'no-values': { type: 'boolean', help: 'skip the traced runs of one failing and one passing test (value evidence)' },
  'no-mutants': { type: 'boolean', help: 'skip the mutant runs (the tests rerun once per small change of a suspicious block)' },
  'mutant-seconds': { type: 'string', value: 'S', help: 'limit for the mutant runs in seconds (default 60; at most 40 mutants)' },
  python: { type: 'string', value: 'PATH', help: 'the Python interpreter (default: python3)' },
  'test-timeout': { type: 'string', value: 'S', help: 'per-test limit in seconds; a test past it fails (default 10)' },
  timeout: { type: 'string', value: 'S', help: 'limit for the whole run in seconds (default 300)' },
} as const satisfies CliOptions;

export function parseLocalizeArgs(args: readonly string[], cwd = process.cwd()): LocalizeArgs | string {
  return localizeCommand.parse(args, { cwd });
}

function checkLocalizeArgs({ values }: ParsedCommandLine<typeof options>, context: ParseContext): LocalizeArgs | string {
  const dir = values.cwd ?? context.cwd;
  if (!dir) return '--cwd needs a DIR';
  const testTimeoutSeconds = positiveNumber('--test-timeout', values['test-timeout']);
  if (typeof testTimeoutSeconds === 'string') return testTimeoutSeconds;
  const timeout = positiveNumber('--timeout', values.timeout);
  if (typeof timeout === 'string') return timeout;
  const mutantSeconds = positiveNumber('--mutant-seconds', values['mutant-seconds']);
  if (typeof mutantSeconds === 'string') return mutantSeconds;
  const target = targetOption(values.target);
  if (target === undefined) return 'missing --target FILE:FUNCTION';
  if (typeof target === 'string') return target;
  const testCommand = values['test-command'];
  if (testCommand !== undefined && !testCommand.trim()) return '--test-command needs a command';
  const testFiles = values.tests ?? [];
  if (testFiles.some((f) => !f)) return '--tests needs a test FILE';
  const framework = jsRunners.find((r) => r === values.framework);
  if (values.framework !== undefined && !framework) return `--framework is node, jest, vitest or mocha, not '${values.framework}'`;
  if (testCommand && testFiles.length) return '--test-command (pytest) and --tests (JavaScript) do not go together';
  return {
    cwd: dir,
    target,
    json: values.json === true,
    ...(testCommand ? { testCommand } : {}),
    ...(testFiles.length ? { testFiles } : {}),
    ...(framework ? { framework } : {}),
    ...(values.python ? { python: values.python } : {}),
    ...(testTimeoutSeconds ? { testTimeoutSeconds } : {}),
    ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
    ...(values['no-values'] ? { values: false } : {}),
    ...(values['no-mutants'] ? { mutants: false } : {}),
    ...(mutantSeconds ? { mutantBudget: { ms: mutantSeconds * 1000 } } : {}),
  };
}

/** The JSON the CLI prints: blocks best first, plus which blocks each test ran. */
export function localizeJson(result: LocalizeResult): object {
  const { suspicion, target, run } = result;
  return {
    target: { file: target.file, function: target.blocks.function.name },
    failingTests: suspicion.failingTests,
    passingTests: suspicion.passingTests,
    blocks: suspicion.blocks.map((b) => ({ id: b.id, range: b.range, score: b.score, rank: b.rank, heat: b.heat, reason: b.reason })),
    tests: Object.fromEntries(run.spectra.map((s) => [s.testId, { outcome: s.outcome, blocks: s.blocks }])),
    traced: result.values?.tests.map((t) => t.testId) ?? [],
    mutants: result.mutation
      ? { ran: result.mutation.run.outcomes.filter((o) => !o.skipped).length, skipped: result.mutation.run.outcomes.filter((o) => o.skipped).length }
      : { ran: 0, skipped: 0 },
    elapsedMs: { total: result.elapsedMs, coverage: run.elapsedMs, traced: result.values?.elapsedMs ?? 0, mutants: result.mutation?.run.elapsedMs ?? 0 },
  };
}

export function formatLocalize(result: LocalizeResult): string {
  const { suspicion, target } = result;
  const out = [
    `${target.blocks.function.name} in ${target.file}: ${suspicion.failingTests} failing and ${suspicion.passingTests} passing tests reached it`,
  ];
  for (const b of suspicion.blocks) {
    const start = b.range.start.line;
    // Ranges end exclusively: a block ending at column 0 ends on the line before.
    const end = b.range.end.character === 0 && b.range.end.line > start ? b.range.end.line - 1 : b.range.end.line;
    const lines = start === end ? `line ${start}` : `lines ${start}-${end}`;
    out.push(`#${String(b.rank).padEnd(3)} ${b.id.padEnd(4)} ${lines.padEnd(12)} ${b.score.toFixed(3)}  ${b.reason}`);
  }
  const outcomes = result.mutation?.run.outcomes ?? [];
  const ran = outcomes.filter((o) => !o.skipped).length;
  const seconds = Math.round((result.mutation?.run.elapsedMs ?? 0) / 100) / 10;
  const why = [...new Set(outcomes.map((o) => o.skipped).filter(Boolean))].slice(0, 2).join('; ');
  if (outcomes.length) out.push(`${ran} of ${outcomes.length} mutants ran in ${seconds} s${ran < outcomes.length ? `; ${outcomes.length - ran} skipped: ${why}` : ''}`);
  return out.join('\n') + '\n';
}

export function createLocalizeCommand(run: typeof localize = localize): DefinedCommand<LocalizeArgs> {
  return defineCommand({
    name: 'localize',
    usage,
    summary: "rank a function's blocks by how suspicious the tests that reach it make them",
    description: [
      'Runs the tests that reach the function once, recording which of its blocks each test ran',
      '(no values), then traces one failing and one passing test with values, and ranks the blocks:',
      'Ochiai over passing and failing tests, plus the block the exception left from and the decision',
      'before it, the blocks that computed a wrong result, comparisons that met equal values in the',
      'failing test, the base case a runaway recursion got past, and closeness to the failure.',
      'Python (pytest) and JavaScript/TypeScript (node:test, jest, vitest, mocha). Files on disk are never',
      'modified.',
    ],
    options,
    footer: ['Exit status: 0 when the blocks were ranked, 1 when no test reached the function or the', 'tests could not be run, 2 on usage errors.'],
    check: checkLocalizeArgs,
    async execute(parsed, out) {
      let result: LocalizeResult;
      try {
        result = await run(parsed);
      } catch (error) {
        return failure(out, 'localize', messageOf(error));
      }
      const { suspicion, run: testRun } = result;
      if (suspicion.failingTests + suspicion.passingTests === 0) {
        const tail = (testRun.stdout + testRun.stderr).trim().split('\n').slice(-15).join('\n');
        out.stderr(
          `ducktrace localize: no test reached ${result.target.blocks.function.name} (${result.selection}; exit code ${testRun.exitCode ?? 'none'}${testRun.timedOut ? ', timed out' : ''}${testRun.problems?.length ? `; ${testRun.problems.join('; ')}` : ''})\n${tail}\n`,
        );
        return 1;
      }
      if (suspicion.failingTests === 0) out.stderr(`ducktrace localize: no failing test reached ${result.target.blocks.function.name}: nothing is suspicious\n`);
      for (const problem of result.values?.problems ?? []) out.stderr(`ducktrace localize: ${problem} (ranked without its values)\n`);
      out.stdout(parsed.json ? JSON.stringify(localizeJson(result), null, 2) + '\n' : formatLocalize(result));
      return ExitCode.ok;
    },
  });
}

export const localizeCommand = createLocalizeCommand();
