// `ducktrace mcp [--root DIR]`: the agent tools over the Model Context Protocol on stdin/stdout,
// with the official SDK's server, for Claude Code, Cursor, VS Code and any MCP client. The project
// folder is the root: every path is resolved inside it and nothing outside it is read. stdout
// carries the protocol only; everything else goes to stderr.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { productName, productVersion } from '../../core/product';
import { AgentProject } from '../agents/agentProject';
import { mcpTools } from '../agents/agentTools';
import type { ToolOutput } from '../agents/toolResult';
import { defineCommand, ExitCode, failure, messageOf, positiveNumber, type CliOptions, type DefinedCommand, type ParseContext, type ParsedCommandLine } from './cliSupport';

const usage = 'mcp [--root DIR] [--python PATH] [--timeout SECONDS]';

export interface McpArgs {
  readonly root: string;
  readonly python?: string;
  readonly testTimeoutSeconds: number;
}

const options = {
  root: { type: 'string', value: 'DIR', help: 'the project folder (default: the current folder)' },
  python: { type: 'string', value: 'PATH', help: 'the Python interpreter for pytest (default: $DUCKTRACE_PYTHON or python3)' },
  timeout: { type: 'string', value: 'SECONDS', help: 'per-test timeout of test runs (default 10; a test past it fails)' },
} as const satisfies CliOptions;

function checkMcpArgs({ values }: ParsedCommandLine<typeof options>, context: ParseContext): McpArgs | string {
  const root = values.root ?? context.cwd;
  if (!root) return '--root needs a DIR';
  const timeout = positiveNumber('--timeout', values.timeout);
  if (typeof timeout === 'string') return timeout;
  const python = values.python ?? (context.env.DUCKTRACE_PYTHON || undefined);
  return { root, testTimeoutSeconds: timeout ?? 10, ...(python ? { python } : {}) };
}

/** A tool's answer as MCP's CallToolResult: the text for the model, the JSON as structured content. */
export function callToolResult(output: ToolOutput): CallToolResult {
  return { content: [{ type: 'text', text: output.text }], structuredContent: { ...output.data }, ...(output.isError ? { isError: true } : {}) };
}

/** The server with every agent tool registered, not yet connected. */
export function createMcpServer(project: AgentProject): McpServer {
  const server = new McpServer(
    { name: 'ducktrace', title: productName, version: productVersion },
    {
      instructions:
        'Ducktrace gives runtime evidence for failing tests in this project: ducktrace_failingTests lists them, ducktrace_traceTest reruns one and shows the failing function with the values after each basic block, ducktrace_suspiciousBlocks ranks its blocks, ducktrace_blocks shows its blocks, ducktrace_proposeFix checks a fix and returns it as a diff (it writes nothing).',
    },
  );
  for (const tool of mcpTools) {
    server.registerTool(
      tool.spec.name,
      {
        title: tool.spec.title,
        description: tool.spec.description,
        inputSchema: tool.spec.input.shape,
        annotations: { readOnlyHint: !tool.spec.runsCode, destructiveHint: false, idempotentHint: !tool.spec.runsCode, openWorldHint: false },
      },
      async (input: unknown, extra: { signal: AbortSignal }) => callToolResult(await tool.run(project, input, extra.signal)),
    );
  }
  return server;
}

export function createMcpCommand(): DefinedCommand<McpArgs> {
  return defineCommand({
    name: 'mcp',
    usage,
    summary: 'serve the agent tools (failing tests, trace, suspicious blocks, blocks, fix as a diff) over MCP on stdio',
    description: [
      'Speaks the Model Context Protocol on stdin and stdout for coding agents (Claude Code, Cursor,',
      'VS Code, ...). Tools: ducktrace_failingTests, ducktrace_traceTest, ducktrace_suspiciousBlocks,',
      'ducktrace_blocks and ducktrace_proposeFix (which returns a unified diff and writes nothing).',
      'Every path is resolved inside the project folder (symbolic links followed); anything outside',
      'it is refused.',
    ],
    options,
    footer: [
      'Example (Claude Code): claude mcp add ducktrace -- node /path/to/ducktrace/dist/cli.js mcp --root .',
      '',
      'Exit status: 0 when the client closed the connection, 1 when the folder cannot be served,',
      '2 on usage errors.',
    ],
    check: checkMcpArgs,
    async execute(parsed, out) {
      let project: AgentProject;
      try {
        project = await AgentProject.open(parsed.root, {
          helpersDir: __dirname,
          testTimeoutMs: parsed.testTimeoutSeconds * 1000,
          ...(parsed.python ? { python: () => parsed.python! } : {}),
        });
      } catch (err) {
        return failure(out, 'mcp', messageOf(err));
      }
      const server = createMcpServer(project);
      const transport = new StdioServerTransport();
      // The client going away (stdin ends) or a signal closes the server, which aborts the calls in
      // flight: their test and tracer process trees are killed rather than left running.
      const closed = new Promise<number>((resolve) => {
        transport.onclose = () => resolve(ExitCode.ok);
        process.stdin.once('end', () => resolve(ExitCode.ok));
        process.once('SIGTERM', () => resolve(143));
        process.once('SIGINT', () => resolve(130));
      });
      await server.connect(transport);
      out.stderr(`ducktrace mcp: serving ${project.root.path}\n`);
      const code = await closed;
      await server.close().catch(() => undefined);
      process.stdin.destroy();
      return code;
    },
  });
}

export const mcpCommand = createMcpCommand();
