// The agent tools, declared once: name, what a model is told about each, its input schema (zod,
// validated by the MCP server; the same schema as JSON is what package.json declares for VS Code's
// language model tools, and a unit test keeps the two equal), and whether it runs the user's code.
import { z } from 'zod';

const target = z
  .string()
  .min(3)
  .describe('The function: "path/to/file.py:function_name" (a method as "Class.method"), or "path/to/file.py:LINE" for the function holding that line. Paths are relative to the project folder.');

const test = z
  .string()
  .min(1)
  .describe('The test: an id as ducktrace_failingTests lists it ("tests/test_x.py::test_y", "test/a.test.js::suite::name"), or its name.');

export const failingTestsInput = z.object({
  path: z.string().min(1).optional().describe('Only the tests in this test file or folder (relative to the project folder). Default: every test of the project.'),
  rerun: z.boolean().optional().describe('Run the tests again even when the last results are fresh (no file changed since).'),
});

export const traceTestInput = z.object({
  test: test.optional().describe('The failing test to trace: an id as ducktrace_failingTests lists it, or its name. Default: the failing test under the cursor, else the only failing test.'),
  target: target.optional().describe('The function to trace. Default: the function the failure points at (from its stack and what the test calls).'),
  call: z.number().int().min(1).max(100_000).optional().describe('Only this call of the function (1 = the first), when the test calls it several times.'),
  fromIteration: z.number().int().min(1).max(100_000_000).optional().describe('Only block runs from this iteration on (per block, 1 = its first run in the call).'),
  toIteration: z.number().int().min(1).max(100_000_000).optional().describe('Only block runs up to this iteration.'),
  variable: z.string().min(1).optional().describe('Only this variable in the value lines.'),
  maxTokens: z.number().int().min(300).max(16000).optional().describe('Size of the answer in tokens (default 2000): values are left out, with a note, to fit.'),
});

export const suspiciousBlocksInput = z.object({
  test: test.optional().describe('A failing test that reaches the function; its failure names the function when target is not given.'),
  target: target.optional(),
});

export const blocksInput = z.object({
  target,
});

export const proposeFixInput = z.object({
  target: target.describe('The function the fix changes: "path/to/file.py:function_name".'),
  code: z.string().optional().describe('The whole corrected function, same name and signature. Preferred.'),
  diff: z.string().optional().describe('Or: a unified diff of the file (changes inside this function).'),
  edits: z
    .array(z.object({ search: z.string().describe('Exact lines of the current code.'), replace: z.string().describe('The new lines.') }))
    .optional()
    .describe('Or: search/replace edits of the function.'),
  test: test.optional().describe('The failing test the fix is for (shown with the proposal).'),
});

export type FailingTestsInput = z.infer<typeof failingTestsInput>;
export type TraceTestInput = z.infer<typeof traceTestInput>;
export type SuspiciousBlocksInput = z.infer<typeof suspiciousBlocksInput>;
export type BlocksInput = z.infer<typeof blocksInput>;
export type ProposeFixInput = z.infer<typeof proposeFixInput>;

export interface AgentToolSpec {
  readonly name: string;
  readonly title: string;
  /** What a model reads to decide when to call it. */
  readonly description: string;
  readonly input: z.ZodObject;
  /** Runs the project's tests (so the user's code): the editor asks before it does. */
  readonly runsCode: boolean;
}

export const failingTestsSpec: AgentToolSpec = {
  name: 'ducktrace_failingTests',
  title: 'Failing tests',
  description:
    "Runs the project's tests (pytest, node:test, jest, vitest, mocha) and lists the failing ones: id, file and line, the assertion message, expected and actual values, and the stack frames in the project's code. Reuses the last results while no file of the project has changed since (rerun: true runs them again). Pass an id to ducktrace_traceTest to see the values inside the failing function.",
  input: failingTestsInput,
  runsCode: true,
};

export const traceTestSpec: AgentToolSpec = {
  name: 'ducktrace_traceTest',
  title: 'Trace a failing test',
  description:
    'Reruns one failing test under Ducktrace\'s tracer and returns the function under test exactly as written, cut into basic blocks (marker comments "[b1]", "[b2]", ...), with the values its variables had right after each block ran, per call and loop iteration, plus the test\'s failure. One call instead of adding print statements or stepping in a debugger; the files are not changed. The answer stays within a token budget whatever the loop length (first and last iterations and suspicious blocks first; what was left out is said). Ask for one call, an iteration range or one variable to look closer.',
  input: traceTestInput,
  runsCode: true,
};

export const suspiciousBlocksSpec: AgentToolSpec = {
  name: 'ducktrace_suspiciousBlocks',
  title: 'Suspicious blocks',
  description:
    "Ranks the basic blocks of a function by suspicion, without a model: reruns the tests that reach the function, records which blocks each passing and failing test ran (spectrum-based fault localization) and adds where the failure left the function and what fed a wrong result, then tries small changes (mutants: an operator, a constant, a negated condition) of the suspicious blocks, rerunning the tests with each swapped in memory (the files are not changed): a block whose change makes failing tests pass without breaking passing ones comes first. Takes up to about a minute. Returns the blocks best first, each with its lines, code, score and reason.",
  input: suspiciousBlocksInput,
  runsCode: true,
};

export const blocksSpec: AgentToolSpec = {
  name: 'ducktrace_blocks',
  title: 'Basic blocks of a function',
  description: 'Cuts a function into basic blocks (tree-sitter) and returns it as written with a marker comment before each block and the blocks\' successors. Reads the file only; runs nothing.',
  input: blocksInput,
  runsCode: false,
};

export const proposeFixSpec: AgentToolSpec = {
  name: 'ducktrace_proposeFix',
  title: 'Propose a fix',
  description:
    'Proposes a fix of one function to the user as an inline change in the editor, which the user accepts or rejects hunk by hunk; the tool never writes the file itself. Returns what the user decided per change (accepted, rejected, or still pending) and the unified diff. Give the whole corrected function in code (preferred), or a unified diff, or search/replace edits.',
  input: proposeFixInput,
  runsCode: false,
};

/** The MCP server has no editor to show a proposal in: it checks the fix and returns the diff. */
export const fixDiffSpec: AgentToolSpec = {
  ...proposeFixSpec,
  title: 'Check a fix and return its diff',
  description:
    'Applies a fix of one function in memory, checks that the file still parses and that only that function changes, and returns the unified diff of the file. Nothing is written: apply the diff yourself once you agree with it. Give the whole corrected function in code (preferred), or a unified diff, or search/replace edits.',
};

/** The language model tools the extension contributes (package.json `languageModelTools`). */
export const editorToolSpecs: readonly AgentToolSpec[] = [failingTestsSpec, traceTestSpec, suspiciousBlocksSpec, proposeFixSpec];

/** The tools `ducktrace mcp` serves. */
export const mcpToolSpecs: readonly AgentToolSpec[] = [failingTestsSpec, traceTestSpec, suspiciousBlocksSpec, blocksSpec, fixDiffSpec];

/** The input schema as JSON Schema, the form package.json and MCP clients read. */
export function inputJsonSchema(spec: AgentToolSpec): Record<string, unknown> {
  const schema = z.toJSONSchema(spec.input, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}
