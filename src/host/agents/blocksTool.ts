// ducktrace_blocks: a function cut into basic blocks, shown as written with a marker comment before
// each block, and each block's successors. Reads the file only.
import { renderTracedFunction } from '../../core/trace/tracedFunction';
import type { AgentProject } from './agentProject';
import type { BlocksInput } from './agentToolSpecs';
import type { ToolOutput } from './toolResult';

export async function blocksTool(project: AgentProject, input: BlocksInput): Promise<ToolOutput> {
  const located = await project.locate(input.target, undefined);
  const { target, blocks, fileText } = located;
  const listing = renderTracedFunction(
    { name: target.functionName, file: located.file, language: target.language, source: fileText, range: target.range, blocks },
    undefined,
    { maxTraceTokens: 0 },
  );
  const c = target.language === 'python' ? '#' : '//';
  const text = [
    `## ${target.functionName} (${located.file}, lines ${target.range.start.line}-${target.range.end.line}): ${blocks.length} basic blocks`,
    '',
    `\`${c} [bN]\` lines mark where basic block bN starts; they are not in the file.`,
    '',
    listing.text,
    '',
    'Control flow (block → the blocks it may pass control to):',
    ...blocks.map((b) => `- ${b.id} (${b.kind}) → ${b.successors.length ? b.successors.join(', ') : 'exit'}`),
  ];
  const data = {
    target: { file: located.file, function: target.functionName, startLine: target.range.start.line, endLine: target.range.end.line },
    blocks: blocks.map((b) => ({ id: b.id, kind: b.kind, startLine: b.range.start.line, endLine: b.range.end.line, successors: b.successors, text: b.text })),
  };
  return project.redact({ text: text.join('\n'), data });
}
