// `ducktrace failures [--cwd DIR] [--framework auto|pytest|node|jest|vitest] [--json]`: runs the
// tests and prints the normalised failures. Exit code 0 when the tests ran, whatever they did.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { failuresOf, frameworks, isFramework, type Framework, type TestFailure } from '../../core/failures/testFailure';
import { runFolder } from '../runners/testService';
import type { CliCommand, CliOutput } from './commands';

const usage = 'failures [--cwd DIR] [--framework auto|pytest|node|jest|vitest] [--json] [--no-plain-check]';

export interface FailuresArgs {
  readonly cwd: string;
  readonly framework: Framework | 'auto';
  readonly json: boolean;
  readonly timeoutSeconds: number;
  readonly python: string;
  /** Rerun the failing tests the plain way (the project's own command) and say which fail only under Ducktrace. */
  readonly plainCheck: boolean;
}

export function parseFailuresArgs(args: readonly string[], cwd = process.cwd()): FailuresArgs | string {
  let dir = cwd;
  let framework: Framework | 'auto' = 'auto';
  let json = false;
  let timeoutSeconds = 30;
  let python = process.env.DUCKTRACE_PYTHON || 'python3';
  let plainCheck = true;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--json') json = true;
    else if (flag === '--cwd') dir = resolve(cwd, value() ?? '');
    else if (flag === '--framework') {
      const v = value() ?? '';
      if (v !== 'auto' && !isFramework(v)) return `--framework must be one of auto, ${frameworks.join(', ')} (not '${v}')`;
      framework = v;
    } else if (flag === '--timeout') {
      const v = Number(value());
      if (!Number.isFinite(v) || v <= 0) return '--timeout needs a positive number of seconds';
      timeoutSeconds = v;
    } else if (flag === '--python') python = value() ?? python;
    else if (flag === '--no-plain-check') plainCheck = false;
    else return `unknown option '${arg}'`;
  }
  return { cwd: dir, framework, json, timeoutSeconds, python, plainCheck };
}

export function formatFailure(f: TestFailure): string {
  const lines = [`FAILED ${f.name}  (${f.framework}, ${f.file}:${f.line})`, ...f.message.split('\n').slice(0, 6).map((l) => `    ${l}`)];
  if (f.expected !== undefined) lines.push(`    expected: ${f.expected.split('\n')[0]}`, `    actual:   ${(f.actual ?? '').split('\n')[0]}`);
  for (const fr of f.stack.slice(0, 8)) lines.push(`    at ${fr.function ?? '<module>'} (${fr.file}:${fr.line}${fr.column ? `:${fr.column}` : ''})`);
  if (f.plainRun) {
    const said = { failed: 'fails there too', passed: 'PASSES there: this failure happens only under Ducktrace\'s run', unknown: 'could not tell' }[f.plainRun.outcome];
    lines.push(`    plain run of the project's own command: ${said}${f.plainRun.detail ? ` (${f.plainRun.detail})` : ''}`);
  }
  return lines.join('\n');
}

export const failuresCommand: CliCommand = {
  name: 'failures',
  usage,
  summary: 'run the tests and print the failures (with stack frames)',
  help: [
    `Usage: ducktrace ${usage} [--timeout SECONDS] [--python PATH]`,
    '',
    'Runs the tests of DIR (default: the current folder) with the frameworks it uses, and prints',
    'each failing test with its message, expected and actual values and its stack frames.',
    '',
    '  --cwd DIR          the project folder',
    '  --framework NAME   auto (default: detect from the project), pytest, node, jest or vitest',
    '  --json             print a JSON array of TestFailure records',
    '  --timeout SECONDS  per-test timeout (default 30); a hung test is stopped and the rest still run',
    '  --python PATH      the Python interpreter for pytest (default: $DUCKTRACE_PYTHON or python3)',
    '  --no-plain-check   do not rerun the failing tests the way the project runs them (its own',
    '                     command, untouched environment) to tell which fail only under Ducktrace',
    '',
    'Exit code: 0 when the tests ran (whatever their outcome), 1 when they could not be run, 2 on bad usage.',
  ].join('\n'),
  async run(args: string[], out: CliOutput): Promise<number> {
    const parsed = parseFailuresArgs(args);
    if (typeof parsed === 'string') {
      out.stderr(`ducktrace failures: ${parsed}\n`);
      return 2;
    }
    if (!existsSync(parsed.cwd) || !statSync(parsed.cwd).isDirectory()) {
      out.stderr(`ducktrace failures: no such folder: ${parsed.cwd}\n`);
      return 1;
    }
    const { projects, reports } = await runFolder(parsed.cwd, parsed.framework, {
      helpersDir: __dirname,
      python: parsed.python,
      testTimeoutMs: parsed.timeoutSeconds * 1000,
      plainCheck: parsed.plainCheck,
    });
    if (projects.length === 0) {
      out.stderr(`ducktrace failures: no test framework found in ${parsed.cwd} (looked for pytest, node --test, jest and vitest; use --framework to choose one)\n`);
      return 1;
    }
    for (const report of reports) for (const p of report.problems) out.stderr(`ducktrace failures (${report.framework} in ${report.cwd}): ${p}\n`);
    const failures = reports.flatMap((r) => failuresOf(r));
    const ran = reports.some((r) => r.results.length > 0);
    if (parsed.json) out.stdout(JSON.stringify(failures, null, 2) + '\n');
    else {
      for (const f of failures) out.stdout(formatFailure(f) + '\n\n');
      const total = reports.reduce((n, r) => n + r.results.length, 0);
      out.stdout(`${failures.length} failing of ${total} tests (${reports.map((r) => `${r.framework} in ${r.cwd}`).join('; ')})\n`);
    }
    return ran ? 0 : 1;
  },
};
