// `@ducktrace` in the Chat view: /explain, /fix and /trace for a failing test. /explain and /fix go
// through the one pipeline (diagnoseFailure: target, blocks, traced values, the duck) with the model
// the user picked in the chat (`request.model`), streaming the block verdicts as they arrive and
// the explanation; /fix puts the fix up as an inline proposal with buttons to settle it; /trace
// streams the traceTest tool's answer. The failing test: named in the prompt, else the one under
// the cursor, else the only one known, else the tests are run to find it.
import * as vscode from 'vscode';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { BlockVerdict } from '../../core/duck/diagnosis';
import type { TestFailure } from '../../core/failures/testFailure';
import { toPromptTrace } from '../../core/trace/promptTrace';
import { AgentToolError, errorOutput } from '../../host/agents/toolResult';
import { traceTestTool } from '../../host/agents/traceTestTool';
import { diagnoseFailure } from '../../host/duck/diagnoseFailure';
import { CommandIds } from '../commandIds';
import { LanguageModelApiClient } from '../models/languageModelApiClient';
import type { ModelSelection } from '../models/modelSelection';
import type { ProposalManager } from '../review/proposalManager';
import { modelSettings, neverSendPatterns } from '../settings';
import type { FailureStore } from '../testing/failureStore';
import { locateRun, type TraceLauncher } from '../trace/traceLauncher';
import type { AgentProjects } from './agentProjects';

export const chatParticipantId = 'ducktrace.chat';

/** What a /fix or /explain answer hands its "Propose this fix" button. */
export interface ChatFix {
  readonly file: string;
  readonly newText: string;
  readonly title: string;
}

export interface ChatResultMetadata {
  readonly command: string;
  readonly test?: string;
  readonly fix?: 'proposed' | 'offered' | 'none';
}

export class DucktraceChat implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly projects: AgentProjects,
    private readonly failures: FailureStore,
    private readonly proposals: ProposalManager,
    private readonly models: ModelSelection,
    private readonly parser: SourceParser,
    private readonly tracer: TraceLauncher,
    private readonly log: vscode.LogOutputChannel,
    iconPath?: vscode.Uri,
  ) {
    const participant = vscode.chat.createChatParticipant(chatParticipantId, (request, context, stream, token) => this.handle(request, context, stream, token));
    if (iconPath) participant.iconPath = iconPath;
    participant.followupProvider = {
      provideFollowups: (result) => {
        const meta = result.metadata as ChatResultMetadata | undefined;
        if (meta?.command === 'explain' && meta.fix === 'offered') return [{ prompt: meta.test ?? '', command: 'fix', label: 'Propose the fix inline' }];
        if (meta?.command === 'trace') return [{ prompt: meta.test ?? '', command: 'explain', label: 'Explain this failure' }];
        return [];
      },
    };
    this.disposables.push(participant);
    this.disposables.push(vscode.commands.registerCommand(CommandIds.proposeChatFix, (fix: ChatFix) => this.propose(fix)));
  }

  /** The request handler (exposed for tests, which call it with their own stream and model). */
  readonly handle = async (request: vscode.ChatRequest, _context: vscode.ChatContext, stream: vscode.ChatResponseStream, token: vscode.CancellationToken): Promise<vscode.ChatResult> => {
    const command = request.command === 'fix' || request.command === 'trace' ? request.command : 'explain';
    if (!vscode.workspace.isTrusted) {
      stream.markdown('This workspace is not trusted, so Ducktrace runs no tests, tracers or interpreters in it.');
      stream.button({ command: 'workbench.trust.manage', title: 'Manage Workspace Trust' });
      return { metadata: { command } satisfies ChatResultMetadata };
    }
    const controller = new AbortController();
    const onCancel = token.onCancellationRequested(() => controller.abort());
    try {
      const failure = await this.failureFor(request.prompt.trim(), stream, controller.signal);
      if (command === 'trace') return await this.trace(failure, stream, controller.signal);
      return await this.explain(command, failure, request.model, stream, controller.signal);
    } catch (err) {
      if (controller.signal.aborted) return { metadata: { command } satisfies ChatResultMetadata };
      const message = err instanceof AgentToolError ? err.message : errorOutput(err).text;
      this.log.warn(`@ducktrace /${command}: ${message}`);
      return { errorDetails: { message }, metadata: { command } satisfies ChatResultMetadata };
    } finally {
      onCancel.dispose();
    }
  };

  /** The failing test the request is about. */
  private async failureFor(prompt: string, stream: vscode.ChatResponseStream, signal: AbortSignal): Promise<TestFailure> {
    const known = this.failures.all();
    if (prompt) {
      const named = known.find((f) => f.testId === prompt || f.name === prompt || f.testId.endsWith(`/${prompt}`) || f.testId.endsWith(`::${prompt}`));
      if (named) return named;
    } else {
      const here = this.projects.failureUnderCursor() ?? (known.length === 1 ? known[0] : undefined);
      if (here) return here;
    }
    stream.progress(prompt ? `Running the tests to find ${prompt}…` : 'Running the tests to find the failing one…');
    const project = await this.projects.projectFor(prompt || undefined);
    const result = (await project.findTest(prompt || undefined, signal)).result;
    if (!result.failure) throw new AgentToolError(`${prompt} passes: there is no failure to explain.`);
    return result.failure;
  }

  private async trace(failure: TestFailure, stream: vscode.ChatResponseStream, signal: AbortSignal): Promise<vscode.ChatResult> {
    stream.progress(`Rerunning ${failure.name} under the tracer…`);
    const project = await this.projects.projectFor(failure.testId);
    const output = await traceTestTool(project, { test: failure.testId }, signal);
    stream.markdown(output.text.replace(/\nNext: .*$/s, ''));
    stream.button({ command: CommandIds.traceFailingTest, arguments: [failure], title: 'Show the Values in the Editor' });
    return { metadata: { command: 'trace', test: failure.name } satisfies ChatResultMetadata };
  }

  private async explain(command: 'explain' | 'fix', failure: TestFailure, model: vscode.LanguageModelChat, stream: vscode.ChatResponseStream, signal: AbortSignal): Promise<vscode.ChatResult> {
    const roots = this.projects.folders().map((f) => f.uri.fsPath);
    const shown = new Set<string>();
    let blockLines = new Map<string, string>();
    const showVerdicts = (verdicts: readonly BlockVerdict[]) => {
      for (const v of verdicts) {
        if (shown.has(v.blockId)) continue;
        shown.add(v.blockId);
        if (shown.size === 1) stream.markdown('\n\n**Block by block**\n\n');
        stream.markdown(`- ${v.correct ? '✓' : '✗'} **${v.blockId}**${blockLines.get(v.blockId) ?? ''}: ${escapeMarkdown(v.why)}\n`);
      }
    };
    stream.progress(`Finding the function ${failure.name} fails in…`);
    // Unsure from the code alone, the finder may run the failing test once to see what ran.
    const run = await locateRun(failure);
    const result = await diagnoseFailure({
      failure,
      locate: run ? { run } : {},
      roots,
      files: this.projects.editorFiles,
      parser: this.parser,
      signal,
      neverSend: neverSendPatterns(),
      secretValues: [await this.models.storedApiKey()].filter((k): k is string => !!k),
      model: () => Promise.resolve(new LanguageModelApiClient(model, modelSettings().limits)),
      trace: async (target, _blocks, s) => toPromptTrace((await this.tracer.trace(failure, target, { signal: s ?? signal })).run.trace),
      onEvent: (e) => {
        switch (e.type) {
          case 'target': {
            blockLines = new Map(e.blocks.map((b) => [b.id, ` (${b.range.start.line === b.range.end.line ? `line ${b.range.start.line}` : `lines ${b.range.start.line}-${b.range.end.line}`})`]));
            const start = new vscode.Position(e.target.range.start.line - 1, 0);
            stream.markdown(`**${escapeMarkdown(failure.name)}** fails in \`${e.target.functionName}\` `);
            stream.anchor(new vscode.Location(vscode.Uri.file(e.target.file), start), vscode.workspace.asRelativePath(e.target.file));
            stream.markdown(` (${e.blocks.length} blocks).`);
            break;
          }
          case 'tracing':
            stream.progress('Rerunning the test and recording the values after each block…');
            break;
          case 'traced':
            stream.progress(e.trace ? `Asking ${model.name}…` : `Asking ${model.name} without runtime values (${e.error ?? 'the function never ran'})…`);
            break;
          case 'verdicts':
            showVerdicts(e.verdicts);
            break;
          case 'retry':
            stream.progress(`Asking again: ${e.reason}`);
            break;
        }
      },
    });
    if (!result.ok) throw new AgentToolError(result.error);
    const { outcome, target } = result;
    if (!outcome.ok) {
      if (outcome.kind === 'cancelled') return { metadata: { command, test: failure.name } satisfies ChatResultMetadata };
      throw new AgentToolError(outcome.error);
    }
    const { diagnosis } = outcome;
    showVerdicts(diagnosis.verdicts);
    stream.markdown(`\n\n**What is wrong**\n\n${escapeMarkdown(diagnosis.summary)}\n`);
    if (diagnosis.testIsWrong) stream.markdown(`\n\n${model.name} thinks the test itself is wrong: ${escapeMarkdown(diagnosis.testIsWrong.claim)}\n`);
    const fix: ChatFix | undefined = outcome.newText !== undefined ? { file: target.file, newText: outcome.newText, title: failure.name } : undefined;
    if (!fix) {
      stream.markdown(outcome.fixError ? `\n\nThe proposed fix did not fit the file: ${escapeMarkdown(outcome.fixError)}` : '\n\nNo fix was proposed.');
      return { metadata: { command, test: failure.name, fix: 'none' } satisfies ChatResultMetadata };
    }
    if (command === 'explain') {
      stream.button({ command: CommandIds.proposeChatFix, arguments: [fix], title: 'Propose This Fix Inline' });
      return { metadata: { command, test: failure.name, fix: 'offered' } satisfies ChatResultMetadata };
    }
    const reviewed = await this.propose(fix);
    if (reviewed) {
      const uri = vscode.Uri.file(fix.file);
      const n = reviewed.proposal.hunks.length;
      stream.markdown(`\n\nThe fix is up in \`${vscode.workspace.asRelativePath(uri)}\` as ${n} change${n === 1 ? '' : 's'} to accept or reject; nothing is written until you accept.`);
      stream.button({ command: CommandIds.acceptAllHunks, arguments: [uri], title: 'Accept All' });
      stream.button({ command: CommandIds.rejectAllHunks, arguments: [uri], title: 'Reject All' });
      stream.button({ command: CommandIds.openSideBySide, arguments: [uri], title: 'Side by Side' });
    }
    return { metadata: { command, test: failure.name, fix: reviewed ? 'proposed' : 'none' } satisfies ChatResultMetadata };
  }

  /** The fix as an inline proposal in its editor; only files of the workspace. */
  private async propose(fix: ChatFix) {
    const uri = vscode.Uri.file(fix.file);
    if (!vscode.workspace.getWorkspaceFolder(uri)) {
      void vscode.window.showWarningMessage(`Ducktrace proposes changes only to files of the workspace, not ${fix.file}.`);
      return undefined;
    }
    const reviewed = await this.proposals.propose(uri, fix.newText, { title: fix.title });
    if (reviewed) await vscode.window.showTextDocument(uri, { preview: false });
    return reviewed;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Model text is data: shown as text, never as markup or links. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_{}[\]()#+!<>|~]/g, '\\$&');
}
