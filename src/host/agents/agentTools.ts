// The agent tools as one table: each spec (name, description, input schema) with the function that
// answers it over an AgentProject. The MCP server serves this table; the editor registers the same
// specs as VS Code language model tools and calls the same functions (its proposeFix shows the
// proposal inline instead of returning only the diff).
import type { AgentProject } from './agentProject';
import { blocksSpec, failingTestsSpec, fixDiffSpec, suspiciousBlocksSpec, traceTestSpec, type AgentToolSpec, type SuspiciousBlocksInput, type TraceTestInput } from './agentToolSpecs';
import { blocksTool } from './blocksTool';
import { failingTests } from './failingTestsTool';
import { fixDiffTool } from './fixTool';
import { suspiciousBlocksTool } from './suspiciousBlocksTool';
import { toolOutputOf, type ToolOutput } from './toolResult';
import { traceTestTool } from './traceTestTool';

export interface AgentTool {
  readonly spec: AgentToolSpec;
  /** `input` has been validated against `spec.input`. Never throws: failures are error results. */
  run(project: AgentProject, input: unknown, signal?: AbortSignal): Promise<ToolOutput>;
}

function tool<I>(spec: AgentToolSpec, body: (project: AgentProject, input: I, signal?: AbortSignal) => Promise<ToolOutput>): AgentTool {
  return { spec, run: (project, input, signal) => toolOutputOf(() => body(project, input as I, signal)) };
}

export const failingTestsTool = tool(failingTestsSpec, failingTests);
export const traceTool = tool(traceTestSpec, (p, i: TraceTestInput, s) => traceTestTool(p, i, s));
export const suspicionTool = tool(suspiciousBlocksSpec, (p, i: SuspiciousBlocksInput, s) => suspiciousBlocksTool(p, i, s));
export const blocksOfFunctionTool = tool(blocksSpec, blocksTool);
export const fixAsDiffTool = tool(fixDiffSpec, fixDiffTool);

/** What `ducktrace mcp` serves. */
export const mcpTools: readonly AgentTool[] = [failingTestsTool, traceTool, suspicionTool, blocksOfFunctionTool, fixAsDiffTool];
