// `ducktrace trace --cwd DIR --test TEST --target FILE:FUNCTION [--json]`: reruns one test with
// the tracer on one function and prints the trace. Exits 0 when a trace was produced, even when
// the test failed (that is the point); 1 when the function never ran; 2 on usage errors.

import { BlocksError } from '../../core/blocks/blocksError';
import { formatTrace } from '../../core/trace/traceText';
import type { TraceBudget } from '../../core/trace/traceModel';
import { traceTest, type TraceTestRequest } from '../tracers/traceTest';
import { parseTargetSpec } from '../tracers/traceTarget';
import type { CliCommand, CliOutput } from './commands';

const usage = 'trace --test TEST --target FILE:FUNCTION [--cwd DIR] [--json]';

interface TraceArgs extends TraceTestRequest {
  readonly json: boolean;
}

const budgetFlags: Readonly<Record<string, keyof TraceBudget>> = {
  '--timeout': 'timeoutMs',
  '--max-steps': 'maxSteps',
  '--max-bytes': 'maxBytes',
  '--max-calls': 'maxCalls',
  '--max-depth': 'maxDepth',
  '--max-executed-steps': 'maxExecutedSteps',
};

export function parseTraceArgs(args: readonly string[], cwd = process.cwd()): TraceArgs | string {
  let dir = cwd;
  let test: string | undefined;
  let target: string | undefined;
  let python: string | undefined;
  let framework: string | undefined;
  let json = false;
  const budget: Partial<Record<keyof TraceBudget, number>> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => inline ?? args[++i];
    if (flag === '--json') json = true;
    else if (flag === '--cwd') dir = value() ?? '';
    else if (flag === '--test') test = value();
    else if (flag === '--target') target = value();
    else if (flag === '--python') python = value();
    else if (flag === '--framework') framework = value();
    else if (flag in budgetFlags) {
      const text = value();
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) return `${flag} needs a positive whole number, not '${text ?? ''}'`;
      budget[budgetFlags[flag]] = n;
    } else return `unknown ${flag.startsWith('-') ? 'option' : 'argument'} '${arg}'`;
  }
  if (!dir) return '--cwd needs a DIR';
  if (!test) return 'missing --test TEST';
  if (!target) return 'missing --target FILE:FUNCTION';
  const spec = parseTargetSpec(target);
  if (!spec) return `--target needs FILE:FUNCTION, not '${target}'`;
  if (framework !== undefined && framework !== 'node' && framework !== 'jest' && framework !== 'vitest') return `--framework needs node, jest or vitest, not '${framework}'`;
  return { cwd: dir, test, target: spec, budget, json, ...(python ? { python } : {}), ...(framework ? { framework } : {}) };
}

export function createTraceCommand(run: typeof traceTest = traceTest): CliCommand {
  return {
    name: 'trace',
    usage,
    summary: "rerun one test and record a function's variables after each block",
    help: [
      `Usage: ducktrace ${usage}`,
      '',
      'Reruns one test with the tracer on one function and prints, for each call, its arguments,',
      'the blocks it executed with the variables after each, and what it returned or raised.',
      'Files on disk are never modified.',
      '',
      '  --test TEST             pytest: a node id (tests/test_x.py::test_y) or a -k expression;',
      '                          node:test: a test file, or FILE::NAME for one test by name;',
      '                          jest, vitest: also FILE::SUITE::NAME (the describe blocks)',
      '  --target FILE:FUNCTION  the function to trace: gcd, Cart.total, outer.inner; or FILE:LINE',
      '  --cwd DIR               where the test command runs (default: the current folder)',
      '  --json                  print { target, calls, truncated, stats } as JSON',
      '  --python PATH           the Python interpreter (default: python3)',
      '  --framework NAME        JavaScript: node, jest or vitest (default: detected from the',
      '                          test file and its package.json / config files)',
      '  --timeout MS            kill the test after MS milliseconds (default 60000)',
      '  --max-steps N           steps kept in the trace (default 300)',
      '  --max-bytes N           size of the trace as JSON (default 100000)',
      '  --max-calls N           calls kept, the first and the last ones (default 20)',
      '  --max-depth N           recursion depth recorded (default 30)',
      '  --max-executed-steps N  stop the program after N traced steps (default 20000)',
      '',
      'Exit status: 0 when a trace was produced (whether the test passed or failed), 1 when the',
      'function never ran or tracing failed, 2 on usage errors.',
    ].join('\n'),
    async run(args: string[], out: CliOutput): Promise<number> {
      const parsed = parseTraceArgs(args);
      if (typeof parsed === 'string') {
        out.stderr(`ducktrace trace: ${parsed}\nUsage: ducktrace ${usage}\n`);
        return 2;
      }
      let result;
      try {
        result = await run(parsed);
      } catch (error) {
        if (error instanceof BlocksError || (error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof Error) {
          out.stderr(`ducktrace trace: ${(error as Error).message}\n`);
          return 1;
        }
        throw error;
      }
      out.stdout(parsed.json ? JSON.stringify(result.trace, null, 2) + '\n' : formatTrace(result.trace));
      if (result.trace.calls.length === 0) {
        const tail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n');
        out.stderr(`ducktrace trace: ${parsed.target.function} never ran during the test (exit code ${result.exitCode ?? 'none'}${result.timedOut ? ', timed out' : ''})\n${tail}\n`);
        return 1;
      }
      return 0;
    },
  };
}

export const traceCommand = createTraceCommand();
