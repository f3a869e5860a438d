// ducktrace_suspiciousBlocks: a function's blocks ranked by suspicion, without a model (the same
// `localize` as the CLI and Show Suspicious Blocks), each with its lines, code, score and reason.
import { estimateTokens } from '../../core/duck/tokens';
import { localize, type LocalizeResult } from '../localize/localize';
import type { AgentProject } from './agentProject';
import type { SuspiciousBlocksInput } from './agentToolSpecs';
import { AgentToolError, type ToolOutput } from './toolResult';

/** Blocks shown with their code; the rest by id, lines and score. */
const maxTokens = 2000;

export interface SuspiciousBlocksDependencies {
  readonly localize?: typeof localize;
}

export async function suspiciousBlocksTool(project: AgentProject, input: SuspiciousBlocksInput, signal?: AbortSignal, deps: SuspiciousBlocksDependencies = {}): Promise<ToolOutput> {
  if (!input.target && !input.test) throw new AgentToolError('Say which function in "target" ("path/to/file.py:function_name"), or name a failing "test" whose failure points at it.');
  const failure = input.test ? (await project.findTest(input.test, signal)).result.failure : undefined;
  const located = await project.locate(input.target, failure);
  let result: LocalizeResult;
  try {
    result = await (deps.localize ?? localize)({
      cwd: project.root.path,
      target: { file: located.target.file, function: located.target.functionName },
      python: await project.python(),
      parser: project.parser,
      ...(signal ? { signal } : {}),
    });
  } catch (err) {
    if (signal?.aborted) throw new AgentToolError('Cancelled: the test run was stopped.');
    throw new AgentToolError(`Ducktrace could not rank the blocks of ${located.target.functionName}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { suspicion } = result;
  const name = located.target.functionName;
  if (suspicion.failingTests + suspicion.passingTests === 0) throw new AgentToolError(`No test reached ${name} (${located.file}): nothing to rank.`);

  const code = new Map(located.blocks.map((b) => [b.id, b.text]));
  const text = [
    `## Blocks of ${name} (${located.file}) by suspicion`,
    `${suspicion.failingTests} failing and ${suspicion.passingTests} passing tests ran it.${suspicion.failingTests === 0 ? ' No failing test reached it: nothing is suspicious.' : ''}`,
    '',
  ];
  let spent = estimateTokens(text.join('\n'));
  const rest: string[] = [];
  for (const b of suspicion.blocks) {
    const lines = b.range.start.line === lastLine(b.range) ? `line ${b.range.start.line}` : `lines ${b.range.start.line}-${lastLine(b.range)}`;
    const head = `${b.rank}. ${b.id} (${lines}) score ${b.score.toFixed(3)}: ${b.reason}`;
    const body = [head, ...indent(code.get(b.id) ?? ''), ''];
    const cost = estimateTokens(body.join('\n'));
    if (spent + cost < maxTokens - 80) {
      text.push(...body);
      spent += cost;
    } else rest.push(head);
  }
  if (rest.length) text.push('Further blocks (code left out to fit):', ...rest, '');
  text.push('Next: ducktrace_traceTest shows the values after each block for a failing test.');
  const data = {
    target: { file: located.file, function: name },
    failingTests: suspicion.failingTests,
    passingTests: suspicion.passingTests,
    blocks: suspicion.blocks.map((b) => ({ id: b.id, rank: b.rank, score: round(b.score), heat: round(b.heat), startLine: b.range.start.line, endLine: lastLine(b.range), reason: b.reason })),
  };
  return project.redact({ text: text.join('\n'), data });
}

/** Ranges end exclusively: a block ending at column 0 ends on the line before. */
function lastLine(range: { start: { line: number }; end: { line: number; character: number } }): number {
  return range.end.character === 0 && range.end.line > range.start.line ? range.end.line - 1 : range.end.line;
}

const indent = (code: string) => code.replace(/\r\n/g, '\n').split('\n').map((l) => `    ${l}`);
const round = (n: number) => Math.round(n * 1000) / 1000;
