// `ducktrace failures [--cwd DIR] [--framework auto|pytest|node|jest|vitest|mocha] [--json]`: runs the
// tests and prints the normalised failures. Exit code 0 when the tests ran, whatever they did.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { failuresOf, type Framework, type TestFailure } from '../../core/failures/testFailure';
import { runFolder } from '../runners/testService';
import { defineCommand, ExitCode, failure, frameworkOption, positiveNumber, type CliOptions, type DefinedCommand } from './cliSupport';

const usage = 'failures [--cwd DIR] [--framework auto|pytest|node|jest|vitest|mocha] [--json] [--no-plain-check]';

export interface FailuresArgs {
  readonly cwd: string;
  readonly framework: Framework | 'auto';
  readonly json: boolean;
  readonly timeoutSeconds: number;
  readonly python: string;
  /** Rerun the failing tests the plain way (the project's own command) and say which fail only under Ducktrace. */
  readonly plainCheck: boolean;
}

const options = {
  cwd: { type: 'string', value: 'DIR', help: 'the project folder' },
  framework: { type: 'string', value: 'NAME', help: 'auto (default: detect from the project), pytest, node, jest,\nvitest or mocha' },
  json: { type: 'boolean', help: 'print a JSON array of TestFailure records' },
  timeout: { type: 'string', value: 'SECONDS', help: 'per-test timeout (default 30); a hung test is stopped and the rest still run' },
  python: { type: 'string', value: 'PATH', help: 'the Python interpreter for pytest (default: $DUCKTRACE_PYTHON or python3)' },
  'no-plain-check': { type: 'boolean', help: 'do not rerun the failing tests the way the project runs them (its own\ncommand, untouched environment) to tell which fail only under Ducktrace' },
} as const satisfies CliOptions;

export function parseFailuresArgs(args: readonly string[], cwd = process.cwd()): FailuresArgs | string {
  return failuresCommand.parse(args, { cwd });
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

export const failuresCommand: DefinedCommand<FailuresArgs> = defineCommand({
  name: 'failures',
  usage,
  usageLine: `Usage: ducktrace ${usage} [--timeout SECONDS] [--python PATH]`,
  summary: 'run the tests and print the failures (with stack frames)',
  description: [
    'Runs the tests of DIR (default: the current folder) with the frameworks it uses, and prints',
    'each failing test with its message, expected and actual values and its stack frames.',
  ],
  options,
  footer: ['Exit code: 0 when the tests ran (whatever their outcome), 1 when they could not be run, 2 on bad usage.'],
  check: ({ values }, context) => {
    const framework = frameworkOption(values.framework);
    if (typeof framework !== 'object') return framework;
    const timeoutSeconds = positiveNumber('--timeout', values.timeout) ?? 30;
    if (typeof timeoutSeconds === 'string') return timeoutSeconds;
    return { cwd: resolve(context.cwd, values.cwd ?? ''), framework: framework.framework, json: values.json === true, timeoutSeconds, python: values.python ?? (context.env.DUCKTRACE_PYTHON || 'python3'), plainCheck: values['no-plain-check'] !== true };
  },
  async execute(parsed, out) {
    if (!existsSync(parsed.cwd) || !statSync(parsed.cwd).isDirectory()) return failure(out, 'failures', `no such folder: ${parsed.cwd}`);
    const { projects, reports } = await runFolder(parsed.cwd, parsed.framework, {
      helpersDir: __dirname,
      python: parsed.python,
      testTimeoutMs: parsed.timeoutSeconds * 1000,
      plainCheck: parsed.plainCheck,
    });
    if (projects.length === 0) return failure(out, 'failures', `no test framework found in ${parsed.cwd} (looked for pytest, node --test, jest, vitest and mocha; use --framework to choose one)`);
    for (const report of reports) for (const p of report.problems) out.stderr(`ducktrace failures (${report.framework} in ${report.cwd}): ${p}\n`);
    const failures = reports.flatMap((r) => failuresOf(r));
    const ran = reports.some((r) => r.results.length > 0);
    if (parsed.json) out.stdout(JSON.stringify(failures, null, 2) + '\n');
    else {
      for (const f of failures) out.stdout(formatFailure(f) + '\n\n');
      const total = reports.reduce((n, r) => n + r.results.length, 0);
      out.stdout(`${failures.length} failing of ${total} tests (${reports.map((r) => `${r.framework} in ${r.cwd}`).join('; ')})\n`);
    }
    return ran ? ExitCode.ok : ExitCode.failed;
  },
});
