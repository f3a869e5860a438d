// Ducktrace's agent tools as VS Code language model tools (package.json `languageModelTools`,
// `vscode.lm.registerTool`), for Copilot's agent mode and any chat participant. Thin: the answers
// come from src/host/agents, the same code `ducktrace mcp` serves. Here: the confirmation that says
// the tool runs the project's tests, Workspace Trust, cancellation, the failing test under the
// cursor, and the fix shown as an inline proposal whose outcome is the answer.
import * as vscode from 'vscode';
import type { AgentProject } from '../../host/agents/agentProject';
import { failingTestsSpec, proposeFixSpec, suspiciousBlocksSpec, traceTestSpec, type AgentToolSpec, type FailingTestsInput, type ProposeFixInput, type SuspiciousBlocksInput, type TraceTestInput } from '../../host/agents/agentToolSpecs';
import { failingTests } from '../../host/agents/failingTestsTool';
import { suspiciousBlocksTool } from '../../host/agents/suspiciousBlocksTool';
import { AgentToolError, toolOutputOf, type ToolOutput } from '../../host/agents/toolResult';
import { defaultTraceTokens, traceTestTool } from '../../host/agents/traceTestTool';
import type { ProposalManager } from '../review/proposalManager';
import type { AgentProjects } from './agentProjects';
import { decision, decisionOutput, showFix } from './proposeFixInEditor';

export const untrustedMessage = 'This workspace is not trusted, so Ducktrace runs no tests, tracers or interpreters in it. Ask the user to trust the workspace (Manage Workspace Trust) to use this tool.';

/**
 * A tool's answer for a model: the text first, then the same facts as JSON in a second text part.
 * (A JSON data part exists only as a proposal in the VS Code this supports, and 1.100 cannot hand
 * one back to a caller of `vscode.lm.invokeTool`.)
 */
export function toolResult(output: ToolOutput): vscode.LanguageModelToolResult {
  return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(output.text), new vscode.LanguageModelTextPart(JSON.stringify(output.data))]);
}

interface EditorTool<I> {
  readonly spec: AgentToolSpec;
  /** What the progress line says while the tool runs. */
  readonly running: (input: I) => string;
  /** The confirmation of a tool that runs the project's code: what exactly it will run. */
  readonly confirm?: (input: I) => string;
  readonly run: (input: I, call: ToolCall) => Promise<ToolOutput>;
}

interface ToolCall {
  readonly signal: AbortSignal;
  readonly token: vscode.CancellationToken;
  /** The most tokens the caller wants back, when it says. */
  readonly tokenBudget?: number;
}

export class LanguageModelTools implements vscode.Disposable {
  private readonly registrations: vscode.Disposable[] = [];
  /** The tools as registered, by name (tests read their confirmations here). */
  readonly registered = new Map<string, vscode.LanguageModelTool<unknown>>();

  constructor(
    private readonly projects: AgentProjects,
    private readonly proposals: ProposalManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const tools = [this.failingTests(), this.traceTest(), this.suspiciousBlocks(), this.proposeFix()];
    for (const tool of tools) {
      const adapted = this.adapt(tool as EditorTool<unknown>);
      this.registered.set(tool.spec.name, adapted);
      this.registrations.push(vscode.lm.registerTool(tool.spec.name, adapted));
    }
  }

  private adapt<I>(tool: EditorTool<I>): vscode.LanguageModelTool<I> {
    return {
      prepareInvocation: (options) => {
        const running = tool.running(options.input);
        if (!tool.confirm || !vscode.workspace.isTrusted) return { invocationMessage: running };
        const message = new vscode.MarkdownString(tool.confirm(options.input));
        return { invocationMessage: running, confirmationMessages: { title: `Run tests with Ducktrace (${tool.spec.title})?`, message } };
      },
      invoke: async (options, token) => {
        if (tool.spec.runsCode && !vscode.workspace.isTrusted) {
          this.log.info(`${tool.spec.name}: refused, the workspace is not trusted`);
          return toolResult({ text: untrustedMessage, data: { error: untrustedMessage, untrusted: true }, isError: true });
        }
        const controller = new AbortController();
        const onCancel = token.onCancellationRequested(() => controller.abort());
        const started = Date.now();
        try {
          const call: ToolCall = { signal: controller.signal, token, ...(options.tokenizationOptions ? { tokenBudget: options.tokenizationOptions.tokenBudget } : {}) };
          const output = await toolOutputOf(() => tool.run(options.input, call));
          this.log.info(`${tool.spec.name} ${JSON.stringify(options.input)}: ${output.isError ? `error: ${output.text.split('\n')[0]}` : 'answered'} (${Date.now() - started} ms)`);
          return toolResult(output);
        } finally {
          onCancel.dispose();
        }
      },
    };
  }

  private failingTests(): EditorTool<FailingTestsInput> {
    return {
      spec: failingTestsSpec,
      running: (i) => `Running the tests${i.path ? ` in ${i.path}` : ''} with Ducktrace`,
      confirm: (i) => `Ducktrace will run ${i.path ? `the tests in \`${i.path}\`` : "the project's tests"} (pytest, node:test, jest or vitest) to find the failing ones. This runs the project's code.${i.rerun ? '' : ' Results from a run since which no file changed are reused instead.'}`,
      run: async (i, { signal }) => {
        const folders = this.projects.folders();
        if (i.path || folders.length <= 1) return failingTests(await this.projects.projectFor(i.path), i, signal);
        // Several folders: each one's tests, one after the other.
        const outputs: ToolOutput[] = [];
        for (const folder of folders) outputs.push(await toolOutputOf(async () => failingTests(await this.projects.project(folder), i, signal)));
        return { text: outputs.map((o, n) => `# ${folders[n]!.name}\n${o.text}`).join('\n\n'), data: { folders: outputs.map((o, n) => ({ folder: folders[n]!.name, ...o.data })) } };
      },
    };
  }

  private traceTest(): EditorTool<TraceTestInput> {
    return {
      spec: traceTestSpec,
      running: (i) => `Tracing ${i.test ?? 'the failing test'} with Ducktrace`,
      confirm: (i) =>
        `Ducktrace will rerun ${i.test ? `the test \`${i.test}\`` : 'the failing test under the cursor'} under its tracer${i.target ? `, recording the values inside \`${i.target}\`` : ''}. This runs the project's code; no file is changed.`,
      run: async (i, { signal, tokenBudget }) => {
        const cursor = i.test ? i : this.withCursorTest(i);
        // A caller's budget below the default lowers it (the input's own maxTokens wins).
        const input = cursor.maxTokens === undefined && tokenBudget ? { ...cursor, maxTokens: Math.max(300, Math.min(defaultTraceTokens, Math.floor(tokenBudget))) } : cursor;
        const project = await this.projects.projectFor(input.test, input.target);
        return this.noteUnsaved(project, await traceTestTool(project, input, signal));
      },
    };
  }

  private suspiciousBlocks(): EditorTool<SuspiciousBlocksInput> {
    return {
      spec: suspiciousBlocksSpec,
      running: (i) => `Ranking the blocks of ${i.target ?? 'the failing function'} with Ducktrace`,
      confirm: (i) => `Ducktrace will run the tests that reach ${i.target ? `\`${i.target}\`` : 'the failing function'} under its coverage mode to rank its blocks. This runs the project's code; no file is changed.`,
      run: async (i, { signal }) => {
        const input = i.test || i.target ? i : { ...i, test: this.cursorTestId() };
        return suspiciousBlocksTool(await this.projects.projectFor(input.target, input.test), input, signal);
      },
    };
  }

  private proposeFix(): EditorTool<ProposeFixInput> {
    return {
      spec: proposeFixSpec,
      running: (i) => `Proposing a fix of ${i.target} for review`,
      // No confirmation: nothing runs, and the proposal itself waits for the user's Accept or Reject.
      run: async (i, { token }) => {
        const project = await this.projects.projectFor(i.target);
        const shown = await showFix(project, i, this.proposals, this.projects.editorFiles);
        if (!shown) return { text: `The fix is identical to ${i.target.split(':')[0]} as it is now: there is nothing to propose.`, data: { decision: 'unchanged' } };
        return decisionOutput(project, shown, await decision(this.proposals, shown, token));
      },
    };
  }

  private cursorTestId(): string {
    const failure = this.projects.failureUnderCursor();
    if (!failure) throw new AgentToolError('Say which test in "test": there is no known failing test under the cursor. ducktrace_failingTests lists the failing tests.');
    return failure.testId;
  }

  /** No test named: the failing test under the cursor, else the only failing test (the host decides). */
  private withCursorTest(input: TraceTestInput): TraceTestInput {
    const failure = this.projects.failureUnderCursor();
    return failure ? { ...input, test: failure.testId } : input;
  }

  /** The tracer runs the saved file: say so when the editor holds unsaved changes to it. */
  private noteUnsaved(project: AgentProject, output: ToolOutput): ToolOutput {
    const target = output.data.target as { file?: string } | undefined;
    if (!target?.file) return output;
    const uri = vscode.Uri.joinPath(vscode.Uri.file(project.root.path), target.file);
    const dirty = vscode.workspace.textDocuments.some((d) => d.isDirty && d.uri.toString() === uri.toString());
    if (!dirty) return output;
    return { ...output, text: `Note: ${target.file} has unsaved changes in the editor; the values come from the saved file.\n\n${output.text}`, data: { ...output.data, unsavedChanges: true } };
  }

  dispose(): void {
    for (const r of this.registrations) r.dispose();
  }
}
