// What an agent tool hands back, whoever asked (a VS Code language model tool, the MCP server):
// text written for a model to read, and the same facts as JSON for programs. A refusal or a
// failure is a result too, with `isError` and a message that says what to do instead.

export interface ToolOutput {
  /** Markdown-ish plain text for a model: short lines, the facts first, what to call next last. */
  readonly text: string;
  /** The same result as data. */
  readonly data: Readonly<Record<string, unknown>>;
  readonly isError?: boolean;
}

/** An expected failure of a tool (bad input, a path outside the project, nothing to trace): its message is the result. */
export class AgentToolError extends Error {
  constructor(
    message: string,
    readonly data: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'AgentToolError';
  }
}

export function errorOutput(err: unknown): ToolOutput {
  if (err instanceof AgentToolError) return { text: err.message, data: { error: err.message, ...err.data }, isError: true };
  const message = err instanceof Error ? err.message : String(err);
  return { text: `Ducktrace failed: ${message}`, data: { error: message }, isError: true };
}

/** Runs a tool body; expected and unexpected failures alike come back as an error result. */
export async function toolOutputOf(body: () => Promise<ToolOutput>): Promise<ToolOutput> {
  try {
    return await body();
  } catch (err) {
    return errorOutput(err);
  }
}
