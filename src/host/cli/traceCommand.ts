// `ducktrace trace --cwd DIR --test TEST --target FILE:FUNCTION [--json]`: reruns one test with
// the tracer on one function and prints the trace. Exits 0 when a trace was produced, even when
// the test failed (that is the point); 1 when the function never ran; 2 on usage errors.

import { formatTrace } from '../../core/trace/traceText';
import type { TraceBudget } from '../../core/trace/traceModel';
import { traceTest, type TraceTestRequest } from '../tracers/traceTest';
import { defineCommand, ExitCode, failure, messageOf, positiveInteger, targetOption, type CliOptions, type DefinedCommand, type ParseContext, type ParsedCommandLine } from './cliSupport';

const usage = 'trace --test TEST --target FILE:FUNCTION [--cwd DIR] [--json]';

export interface TraceArgs extends TraceTestRequest {
  readonly json: boolean;
}

const budgetOptions: Readonly<Record<string, keyof TraceBudget>> = {
  timeout: 'timeoutMs',
  'max-steps': 'maxSteps',
  'max-bytes': 'maxBytes',
  'max-calls': 'maxCalls',
  'max-depth': 'maxDepth',
  'max-executed-steps': 'maxExecutedSteps',
};

const options = {
  test: {
    type: 'string',
    value: 'TEST',
    help: 'pytest: a node id (tests/test_x.py::test_y) or a -k expression;\nnode:test: a test file, or FILE::NAME for one test by name;\njest, vitest, mocha: also FILE::SUITE::NAME (the describe blocks)',
  },
  target: { type: 'string', value: 'FILE:FUNCTION', help: 'the function to trace: gcd, Cart.total, outer.inner; or FILE:LINE' },
  cwd: { type: 'string', value: 'DIR', help: 'where the test command runs (default: the current folder)' },
  json: { type: 'boolean', help: 'print { target, calls, truncated, stats } as JSON' },
  python: { type: 'string', value: 'PATH', help: 'the Python interpreter (default: python3)' },
  framework: { type: 'string', value: 'NAME', help: 'JavaScript: node, jest, vitest or mocha (default: detected from\nthe test file and its package.json / config files)' },
  timeout: { type: 'string', value: 'MS', help: 'kill the test after MS milliseconds (default 60000)' },
  'max-steps': { type: 'string', value: 'N', help: 'steps kept in the trace (default 300)' },
  'max-bytes': { type: 'string', value: 'N', help: 'size of the trace as JSON (default 100000)' },
  'max-calls': { type: 'string', value: 'N', help: 'calls kept, the first and the last ones (default 20)' },
  'max-depth': { type: 'string', value: 'N', help: 'recursion depth recorded (default 30)' },
  'max-executed-steps': { type: 'string', value: 'N', help: 'stop the program after N traced steps (default 20000)' },
} as const satisfies CliOptions;

/** The command line of `trace`, or a usage error in words. */
export function parseTraceArgs(args: readonly string[], cwd = process.cwd()): TraceArgs | string {
  return traceCommand.parse(args, { cwd });
}

function checkTraceArgs({ values }: ParsedCommandLine<typeof options>, context: ParseContext): TraceArgs | string {
  const dir = values.cwd ?? context.cwd;
  if (!dir) return '--cwd needs a DIR';
  if (!values.test) return 'missing --test TEST';
  if (!values.target) return 'missing --target FILE:FUNCTION';
  const target = targetOption(values.target);
  if (typeof target !== 'object') return target ?? 'missing --target FILE:FUNCTION';
  const budget: Partial<Record<keyof TraceBudget, number>> = {};
  for (const [flag, key] of Object.entries(budgetOptions)) {
    const n = positiveInteger(`--${flag}`, values[flag as keyof typeof options] as string | undefined);
    if (typeof n === 'string') return n;
    if (n !== undefined) budget[key] = n;
  }
  const framework = values.framework;
  if (framework !== undefined && framework !== 'node' && framework !== 'jest' && framework !== 'vitest' && framework !== 'mocha') return `--framework needs node, jest, vitest or mocha, not '${framework}'`;
  return { cwd: dir, test: values.test, target, budget, json: values.json === true, ...(values.python ? { python: values.python } : {}), ...(framework ? { framework } : {}) };
}

export function createTraceCommand(run: typeof traceTest = traceTest): DefinedCommand<TraceArgs> {
  return defineCommand({
    name: 'trace',
    usage,
    summary: "rerun one test and record a function's variables after each block",
    description: [
      'Reruns one test with the tracer on one function and prints, for each call, its arguments,',
      'the blocks it executed with the variables after each, and what it returned or raised.',
      'Files on disk are never modified.',
    ],
    options,
    footer: ['Exit status: 0 when a trace was produced (whether the test passed or failed), 1 when the', 'function never ran or tracing failed, 2 on usage errors.'],
    check: checkTraceArgs,
    async execute(parsed, out) {
      let result;
      try {
        result = await run(parsed);
      } catch (error) {
        return failure(out, 'trace', messageOf(error));
      }
      out.stdout(parsed.json ? JSON.stringify(result.trace, null, 2) + '\n' : formatTrace(result.trace));
      if (result.trace.calls.length === 0) {
        const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
        return failure(out, 'trace', `${parsed.target.function} never ran during the test (exit code ${result.exitCode ?? 'none'}${result.timedOut ? ', timed out' : ''})\n${tail}`);
      }
      return ExitCode.ok;
    },
  });
}

export const traceCommand = createTraceCommand();
