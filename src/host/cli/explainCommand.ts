// `ducktrace explain --cwd DIR --test TEST [--target FILE:FUNCTION] [--json]`: the rubber duck from
// a terminal. Runs the test with the project's runner for its failure (message, expected, actual,
// stack), then goes through the same pipeline as the editor and `fix` (diagnoseFailure): the
// function to blame (found from the failure, or the one named), its blocks, the values after each
// block from a traced rerun, the model's verdict per block, an explanation and a fix, printed with
// the fix as a diff. Never-send files stop it with a message; the workspace's .env values and the
// API key are redacted from everything sent. Writes nothing, and runs no proposed code.
import { createTwoFilesPatch } from 'diff';
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { defaultNeverSend } from '../../core/duck/redaction';
import { matchesTest, selectorFile } from '../../core/failures/testSelectors';
import type { ModelClient } from '../../core/modelClient';
import { createFsLoopPorts } from '../loop/fsLoopPorts';
import { OpenAiCompatibleClient } from '../models/openAiCompatibleClient';
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
  targetHint,
  targetOption,
  type CliOptions,
  type DefinedCommand,
  type Endpoint,
  type ParseContext,
  type ParsedCommandLine,
} from './cliSupport';

const usage = 'explain --test TEST [--target FILE:FUNCTION] [--cwd DIR] [--json]';

export interface ExplainArgs extends ProjectRunArgs {
  readonly cwd: string;
  readonly test: string;
  readonly target?: TargetSpec;
  readonly json: boolean;
}

const options = {
  test: { type: 'string', value: 'TEST', help: 'the failing test: a pytest node id, a test name, a test file or a class\n(FILE::NAME, FILE::SUITE::NAME for JavaScript); the first failing one' },
  target: { type: 'string', value: 'FILE:FUNCTION', help: 'the function to blame (default: found from the failure):\ngcd, Cart.total, outer.inner; or FILE:LINE' },
  cwd: { type: 'string', value: 'DIR', help: 'the project folder, where the test runs (default: the current folder)' },
  json: { type: 'boolean', help: 'print { test, target, summary, verdicts, testIsWrong, diff, fixError, tokens }' },
  ...projectRunOptions,
} as const satisfies CliOptions;

function checkExplainArgs({ values }: ParsedCommandLine<typeof options>, context: ParseContext): ExplainArgs | string {
  if (!values.test) return 'missing --test TEST';
  const target = targetOption(values.target);
  if (typeof target === 'string') return target;
  const run = projectRunArgs(values, context.env);
  if (typeof run === 'string') return run;
  return {
    cwd: resolve(context.cwd, values.cwd ?? ''),
    test: values.test,
    ...(target ? { target } : {}),
    json: values.json === true,
    ...run,
  };
}

export interface ExplainDependencies {
  readonly env?: NodeJS.ProcessEnv;
  readonly model?: (endpoint: Endpoint) => ModelClient;
  /** Where ducktrace_pytest.py and the node reporter are (default: found above this file). */
  readonly helpersDir?: string;
}

export function createExplainCommand(deps: ExplainDependencies = {}): DefinedCommand<ExplainArgs> {
  return defineCommand({
    name: 'explain',
    usage,
    summary: 'ask the model why one test fails: a verdict per block, an explanation and a fix (writes nothing)',
    description: [
      'Runs the test for its failure, finds the function to blame (or takes --target), reruns the',
      'test with the tracer on it, sends the model the test, the failure and the function block by',
      'block with the values after each block, and prints its verdict per block, its explanation,',
      'and its fix as a unified diff. Nothing is written and no proposed code runs.',
    ],
    options,
    footer: [
      ...endpointHelp,
      'Values of DIR/.env files and DUCKTRACE_API_KEY are redacted from everything sent.',
      '',
      'Exit status: 0 when the model answered, 1 when it could not be asked or its answer was unusable',
      '(or the test does not fail, or its function may not be sent), 2 on usage or configuration errors.',
    ],
    check: checkExplainArgs,
    async execute(parsed, out) {
      const env = deps.env ?? process.env;
      const endpoint = endpointFromEnv(env);
      if (typeof endpoint === 'string') return failure(out, 'explain', endpoint, ExitCode.usage);
      if (!existsSync(parsed.cwd) || !statSync(parsed.cwd).isDirectory()) return failure(out, 'explain', `no such folder: ${parsed.cwd}`, ExitCode.usage);
      if (parsed.target) {
        try {
          await resolveTarget(parsed.cwd, parsed.target);
        } catch (err) {
          return failure(out, 'explain', `--target ${parsed.target.file}:${parsed.target.function}: ${messageOf(err)}`, ExitCode.usage);
        }
      }
      const model = deps.model ? deps.model(endpoint) : new OpenAiCompatibleClient(endpoint);
      const progress = (text: string) => {
        if (!parsed.json) out.stderr(text);
      };
      const rel = (f: string) => relative(parsed.cwd, f).split('\\').join('/') || f;
      const file = selectorFile(parsed.test);
      const ports = createFsLoopPorts({
        cwd: parsed.cwd,
        framework: parsed.framework,
        testTimeoutMs: parsed.timeoutSeconds * 1000,
        python: parsed.python,
        ...(deps.helpersDir ? { helpersDir: deps.helpersDir } : {}),
        model: async () => model,
        only: parsed.test,
        // Only the test's own file runs when the selector names one.
        ...(file && existsSync(resolve(parsed.cwd, file)) ? { runOnlyFile: file } : {}),
        ...(parsed.target ? { target: parsed.target } : {}),
        write: false,
        neverSend: [...defaultNeverSend, ...parsed.neverSend],
        secretValues: endpoint.apiKey ? [endpoint.apiKey] : [],
        ...(endpoint.limits?.maxReplyBytes ? { maxReplyBytes: endpoint.limits.maxReplyBytes } : {}),
        onDiagnose: (_failure, event) => {
          const line = describeChosenTarget(event, rel);
          if (line) progress(line);
        },
      });
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        progress(`… running ${parsed.test}\n`);
        let run;
        try {
          run = await ports.runTests(controller.signal);
        } catch (err) {
          return failure(out, 'explain', `the tests could not be run: ${messageOf(err)}`);
        }
        const selected = run.failures.filter((f) => matchesTest(parsed.test, f, parsed.cwd));
        const chosen = selected[0];
        if (!chosen) {
          const passing = run.passed.filter((id) => matchesTest(parsed.test, { testId: id, name: id.split('::').pop() ?? id, file: id.split('::')[0] ?? id }, parsed.cwd));
          return failure(out, 'explain', passing.length ? `${parsed.test} passes: there is no failure to explain.` : `no test matches --test ${parsed.test} (a pytest node id, a test name, a file or a class).`);
        }
        if (selected.length > 1) progress(`… ${selected.length} failing tests match ${parsed.test}; explaining the first: ${chosen.name}\n`);
        progress(`… asking the model about ${chosen.name}\n`);
        await ports.propose(chosen, [], controller.signal);
        const result = ports.lastDiagnosis();
        if (!result) return failure(out, 'explain', 'Ducktrace could not diagnose this failure.');
        if (!result.ok) return failure(out, 'explain', result.reason === 'no-target' ? `${result.error}${targetHint}` : result.error);
        const { outcome, target, blocks, fileText } = result;
        if (!outcome.ok) return failure(out, 'explain', outcome.error);
        const diff = outcome.newText ? createTwoFilesPatch(target.file, target.file, fileText, outcome.newText, 'now', 'proposed') : '';
        const { diagnosis } = outcome;
        if (parsed.json) {
          const report = {
            test: { testId: chosen.testId, name: chosen.name, message: chosen.message },
            target: { file: target.file, function: target.functionName },
            summary: diagnosis.summary,
            verdicts: diagnosis.verdicts,
            testIsWrong: diagnosis.testIsWrong,
            diff,
            fixError: outcome.fixError,
            tokens: outcome.tokens,
          };
          out.stdout(JSON.stringify(report, null, 2) + '\n');
          return ExitCode.ok;
        }
        const lines = [`${target.functionName} (${target.file}), asked ${outcome.model} about ${chosen.name}`, ''];
        for (const block of blocks) {
          const v = diagnosis.verdicts.find((x) => x.blockId === block.id);
          lines.push(`${v ? (v.correct ? '✓' : '✗') : '·'} ${block.id} lines ${block.range.start.line}-${block.range.end.line}${v ? `: ${v.why}` : ''}`);
        }
        lines.push('', diagnosis.summary, '');
        if (diagnosis.testIsWrong) lines.push(`The model thinks the test is wrong: ${diagnosis.testIsWrong.claim}`, '');
        if (diff) lines.push(diff);
        else if (outcome.fixError) lines.push(`The proposed fix did not fit the file: ${outcome.fixError}`);
        else lines.push('No fix was proposed.');
        out.stdout(lines.join('\n') + '\n');
        return ExitCode.ok;
      } finally {
        process.removeListener('SIGINT', onSigint);
        await ports.dispose();
      }
    },
  });
}

export const explainCommand = createExplainCommand();
