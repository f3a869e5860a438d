// `ducktrace explain --cwd DIR --test TEST --target FILE:FUNCTION [--json]`: the rubber duck from a
// terminal. Reruns the test under the tracer for the function's runtime values, asks the model
// (DUCKTRACE_BASE_URL, DUCKTRACE_MODEL, DUCKTRACE_API_KEY) for a verdict per block, an explanation
// and a fix, and prints them with the fix as a diff. Writes nothing.
import { createTwoFilesPatch } from 'diff';
import { explainAndFix } from '../../core/duck/explainAndFix';
import { functionHeader, type PromptTrace } from '../../core/duck/prompt';
import type { ModelClient } from '../../core/modelClient';
import { toPromptTrace } from '../../core/trace/promptTrace';
import { endpointFromEnv } from '../models/endpointFromEnv';
import { OpenAiCompatibleClient, type OpenAiEndpoint } from '../models/openAiCompatibleClient';
import { traceTest } from '../tracers/traceTest';
import { resolveTarget } from '../tracers/traceTarget';
import { parseTraceArgs } from './traceCommand';
import type { CliCommand, CliOutput } from './commands';

const usage = 'explain --test TEST --target FILE:FUNCTION [--cwd DIR] [--json]';

export interface ExplainDependencies {
  readonly env?: NodeJS.ProcessEnv;
  readonly model?: (endpoint: OpenAiEndpoint) => ModelClient;
}

export function createExplainCommand(deps: ExplainDependencies = {}): CliCommand {
  return {
    name: 'explain',
    usage,
    summary: 'ask the model why one test fails: a verdict per block, an explanation and a fix (writes nothing)',
    help: [
      `Usage: ducktrace ${usage}`,
      '',
      'Reruns the test with the tracer on the function, sends the model the test, the failure and the',
      'function block by block with the values after each block, and prints its verdict per block,',
      'its explanation, and its fix as a unified diff. Nothing is written.',
      '',
      '  --test TEST             pytest node id or -k expression; node:test FILE::NAME',
      '  --target FILE:FUNCTION  the function to explain',
      '  --cwd DIR               where the test runs (default: the current folder)',
      '  --json                  print { target, summary, verdicts, testIsWrong, diff, fixError, tokens }',
      '  --python PATH           the Python interpreter (default: python3)',
      '',
      'The model: DUCKTRACE_BASE_URL (an OpenAI-compatible endpoint ending in /v1), DUCKTRACE_MODEL,',
      'and DUCKTRACE_API_KEY when it needs a key; DUCKTRACE_MODEL_TIMEOUT_SECONDS limits the request',
      '(default 120 s), DUCKTRACE_MAX_OUTPUT_TOKENS the answer (4096).',
      '',
      'Exit status: 0 when the model answered, 1 when it could not be asked or its answer was unusable,',
      '2 on usage or configuration errors.',
    ].join('\n'),
    async run(args: string[], out: CliOutput): Promise<number> {
      const parsed = parseTraceArgs(args);
      if (typeof parsed === 'string') {
        out.stderr(`ducktrace explain: ${parsed}\nUsage: ducktrace ${usage}\n`);
        return 2;
      }
      const endpoint = endpointFromEnv(deps.env ?? process.env);
      if (typeof endpoint === 'string') {
        out.stderr(`ducktrace explain: ${endpoint}\n`);
        return 2;
      }
      const model = deps.model ? deps.model(endpoint) : new OpenAiCompatibleClient(endpoint);
      let target;
      try {
        target = await resolveTarget(parsed.cwd, parsed.target);
      } catch (err) {
        out.stderr(`ducktrace explain: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
      }
      const fileText = target.source;
      const fb = target.blocks;
      // The failing run doubles as the trace: its output carries the assertion message.
      let trace: PromptTrace | undefined;
      let message = '';
      try {
        const run = await traceTest({ ...parsed });
        trace = run.trace.calls.length ? toPromptTrace(run.trace) : undefined;
        message = (run.stdout + '\n' + run.stderr).trim().split('\n').slice(-40).join('\n');
      } catch (err) {
        out.stderr(`ducktrace explain: tracing failed (${err instanceof Error ? err.message : String(err)}); asking without runtime values\n`);
      }
      const outcome = await explainAndFix({
        model,
        fileText,
        target: { name: fb.function.name, range: fb.function.range, language: target.language, file: target.file },
        prompt: {
          intent: { testName: parsed.test, message },
          fn: { name: fb.function.name, file: target.file, language: target.language, range: fb.function.range, header: functionHeader(fileText, fb.function.range, fb.blocks), blocks: fb.blocks },
          trace,
        },
      });
      if (!outcome.ok) {
        out.stderr(`ducktrace explain: ${outcome.error}\n`);
        return 1;
      }
      const diff = outcome.newText ? createTwoFilesPatch(target.file, target.file, fileText, outcome.newText, 'now', 'proposed') : '';
      const { diagnosis } = outcome;
      if (parsed.json) {
        out.stdout(
          JSON.stringify(
            { target: { file: target.file, function: fb.function.name }, summary: diagnosis.summary, verdicts: diagnosis.verdicts, testIsWrong: diagnosis.testIsWrong, diff, fixError: outcome.fixError, tokens: outcome.tokens },
            null,
            2,
          ) + '\n',
        );
        return 0;
      }
      const lines = [`${fb.function.name} (${target.file}), asked ${outcome.model}`, ''];
      for (const block of fb.blocks) {
        const v = diagnosis.verdicts.find((x) => x.blockId === block.id);
        lines.push(`${v ? (v.correct ? '✓' : '✗') : '·'} ${block.id} lines ${block.range.start.line}-${block.range.end.line}${v ? `: ${v.why}` : ''}`);
      }
      lines.push('', diagnosis.summary, '');
      if (diagnosis.testIsWrong) lines.push(`The model thinks the test is wrong: ${diagnosis.testIsWrong.claim}`, '');
      if (diff) lines.push(diff);
      else if (outcome.fixError) lines.push(`The proposed fix did not fit the file: ${outcome.fixError}`);
      else lines.push('No fix was proposed.');
      out.stdout(lines.join('\n') + '\n');
      return 0;
    },
  };
}

export const explainCommand = createExplainCommand();
