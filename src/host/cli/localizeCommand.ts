// `ducktrace localize --cwd DIR --target FILE:FUNCTION [--test-command CMD | --tests FILE...] [--json]`:
// runs the tests that reach the function once under a coverage mode and prints its blocks, most
// suspicious first. Exits 0 with a ranking (a warning on stderr when no failing test reached the function),
// 1 when no test reached it or the run failed, 2 on usage errors.

import { localize, type LocalizeRequest, type LocalizeResult } from '../localize/localize';
import type { JsRunner } from '../tracers/js/jsPlan';
import { parseTargetSpec } from '../tracers/traceTarget';
import type { CliCommand, CliOutput } from './commands';

const usage = 'localize --target FILE:FUNCTION [--cwd DIR] [--test-command CMD | --tests FILE...] [--no-values] [--json]';

interface LocalizeArgs extends LocalizeRequest {
  readonly json: boolean;
}

export function parseLocalizeArgs(args: readonly string[], cwd = process.cwd()): LocalizeArgs | string {
  let dir = cwd;
  let target: string | undefined;
  let testCommand: string | undefined;
  const testFiles: string[] = [];
  let framework: JsRunner | undefined;
  let python: string | undefined;
  let testTimeoutSeconds: number | undefined;
  let timeoutMs: number | undefined;
  let json = false;
  let values = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[++i];
    const positive = (text: string | undefined) => {
      const n = Number(text);
      return Number.isFinite(n) && n > 0 ? n : undefined;
    };
    if (flag === '--json') json = true;
    else if (flag === '--no-values') values = false;
    else if (flag === '--cwd') dir = value() ?? '';
    else if (flag === '--target') target = value();
    else if (flag === '--test-command') testCommand = value();
    else if (flag === '--tests') {
      const file = value();
      if (!file) return '--tests needs a test FILE';
      testFiles.push(file);
    } else if (flag === '--framework') {
      const name = value();
      if (name !== 'node' && name !== 'jest' && name !== 'vitest') return `--framework is node, jest or vitest, not '${name ?? ''}'`;
      framework = name;
    }
    else if (flag === '--python') python = value();
    else if (flag === '--test-timeout' || flag === '--timeout') {
      const text = value();
      const n = positive(text);
      if (n === undefined) return `${flag} needs a positive number of seconds, not '${text ?? ''}'`;
      if (flag === '--test-timeout') testTimeoutSeconds = n;
      else timeoutMs = n * 1000;
    } else return `unknown ${flag.startsWith('-') ? 'option' : 'argument'} '${arg}'`;
  }
  if (!dir) return '--cwd needs a DIR';
  if (!target) return 'missing --target FILE:FUNCTION';
  const spec = parseTargetSpec(target);
  if (!spec) return `--target needs FILE:FUNCTION, not '${target}'`;
  if (testCommand !== undefined && !testCommand.trim()) return '--test-command needs a command';
  if (testCommand && testFiles.length) return '--test-command (pytest) and --tests (JavaScript) do not go together';
  return {
    cwd: dir,
    target: spec,
    json,
    ...(testCommand ? { testCommand } : {}),
    ...(testFiles.length ? { testFiles } : {}),
    ...(framework ? { framework } : {}),
    ...(python ? { python } : {}),
    ...(testTimeoutSeconds ? { testTimeoutSeconds } : {}),
    ...(timeoutMs ? { timeoutMs } : {}),
    ...(values ? {} : { values: false }),
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
    elapsedMs: { total: result.elapsedMs, coverage: run.elapsedMs, traced: result.values?.elapsedMs ?? 0 },
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
  return out.join('\n') + '\n';
}

export function createLocalizeCommand(run: typeof localize = localize): CliCommand {
  return {
    name: 'localize',
    usage,
    summary: "rank a function's blocks by how suspicious the tests that reach it make them",
    help: [
      `Usage: ducktrace ${usage}`,
      '',
      'Runs the tests that reach the function once, recording which of its blocks each test ran',
      '(no values), then traces one failing and one passing test with values, and ranks the blocks:',
      'Ochiai over passing and failing tests, plus the block the exception left from and the decision',
      'before it, the blocks that computed a wrong result, comparisons that met equal values in the',
      'failing test, the base case a runaway recursion got past, and closeness to the failure.',
      'Python (pytest) and JavaScript/TypeScript (node:test, jest, vitest). Files on disk are never',
      'modified.',
      '',
      '  --target FILE:FUNCTION  the function: gcd, Cart.total, outer.inner; or FILE:LINE',
      '  --cwd DIR               where the tests are (default: the current folder)',
      "  --test-command CMD      Python: the pytest command selecting the tests, e.g. 'pytest tests/test_x.py'",
      '  --tests FILE            JavaScript: a test file to run (repeat for more)',
      '                          (default: the test files that mention the function or its module)',
      '  --framework F           JavaScript: node, jest or vitest (default: detected per test file)',
      '  --json                  print { blocks: [{ id, range, score, rank, heat, reason }], tests, ... }',
      '  --no-values             skip the traced runs of one failing and one passing test (value evidence)',
      '  --python PATH           the Python interpreter (default: python3)',
      '  --test-timeout S        per-test limit in seconds; a test past it fails (default 10)',
      '  --timeout S             limit for the whole run in seconds (default 300)',
      '',
      'Exit status: 0 when the blocks were ranked, 1 when no test reached the function or the',
      'tests could not be run, 2 on usage errors.',
    ].join('\n'),
    async run(args: string[], out: CliOutput): Promise<number> {
      const parsed = parseLocalizeArgs(args);
      if (typeof parsed === 'string') {
        out.stderr(`ducktrace localize: ${parsed}\nUsage: ducktrace ${usage}\n`);
        return 2;
      }
      let result: LocalizeResult;
      try {
        result = await run(parsed);
      } catch (error) {
        out.stderr(`ducktrace localize: ${error instanceof Error ? error.message : String(error)}\n`);
        return 1;
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
      return 0;
    },
  };
}

export const localizeCommand = createLocalizeCommand();
