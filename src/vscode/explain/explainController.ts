// "Explain and Fix" in the editor: runs the shared pipeline (src/host/duck/diagnoseFailure.ts)
// with the editor's ports (open buffers, the chosen model, the trace launcher), publishes each of
// its events to the Ducktrace view through the presenter, marks the verdicts in the editor, and
// turns the fix into an inline proposal; once the proposal is settled it reruns the test and says
// whether it passes now. Every failure ends in a clear message and leaves the user's files as
// they were.
import * as vscode from 'vscode';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { Target, TestFileOutcome } from '../../core/blocks/targetFinder';
import type { Framework } from '../../core/failures/testFailure';
import { PipelineTiming } from '../../core/duck/pipelineTiming';
import { toPromptTrace } from '../../core/trace/promptTrace';
import type { CheckedFunction } from '../../core/loop/iterateUntilGreen';
import type { ChatMessage } from '../../core/modelClient';
import { ModelError } from '../../core/modelClient';
import { hunkLines } from '../../core/patch/proposal';
import { viewActionOf, type ExplanationState, type RerunView, type ViewAction, type ViewTest } from '../../core/view/explanationState';
import { isBusy } from '../../core/view/sessionReducer';
import { diagnoseFailure, type DiagnoseResult, type FailureToDiagnose } from '../../host/duck/diagnoseFailure';
import type { SandboxSpec } from '../../host/process/sandbox';
import type { FoundTarget } from '../../host/tracers/findTarget';
import { NodeSourceFiles } from '../../host/nodeSourceFiles';
import { Disposable } from '../disposable';
import type { ModelSelection } from '../models/modelSelection';
import type { ProposalManager, ReviewedProposal, SettledProposal } from '../review/proposalManager';
import { modelSettings, neverSendPatterns } from '../settings';
import { locateRun, type TraceLauncher } from '../trace/traceLauncher';
import { chooseTarget } from './chooseTarget';
import type { ExplanationPresenter } from './explanationPresenter';
import type { VerdictDecorations } from './verdictDecorations';

/** What Explain and Fix starts from: a failing test (a TestFailure fits), or an error diagnostic. */
export interface ExplainInput extends FailureToDiagnose {
  readonly framework?: Framework;
  /** Reruns the failing test after the fix is settled and says whether it passes now. */
  readonly rerun?: () => Promise<RerunView>;
}

/** Open editors' text first (unsaved edits count), the file system otherwise. */
class EditorSourceFiles implements SourceFiles {
  private readonly disk = new NodeSourceFiles();
  async read(file: string): Promise<string | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    return open ? open.getText() : this.disk.read(file);
  }
}

export interface ExplainDependencies {
  readonly parser: SourceParser;
  readonly presenter: ExplanationPresenter;
  readonly verdicts: VerdictDecorations;
  readonly models: ModelSelection;
  readonly proposals: ProposalManager;
  readonly tracer: TraceLauncher;
  readonly log: vscode.LogOutputChannel;
}

export class ExplainController extends Disposable {
  private readonly files = new EditorSourceFiles();
  private running: AbortController | undefined;
  private lastInput: ExplainInput | undefined;
  private lastMessages: readonly ChatMessage[] = [];
  private outsideLines = new Set<number>();
  /** The function the last run debugged. */
  lastTarget: Target | undefined;

  constructor(private readonly deps: ExplainDependencies) {
    super();
    this.register(deps.proposals.onDidChange((uri) => this.mirrorHunks(uri && deps.proposals.get(uri))));
  }

  /** The Ducktrace view's state now. */
  get current(): ExplanationState {
    return this.deps.presenter.current;
  }

  get isRunning(): boolean {
    return !!this.running;
  }

  /** Runs the whole round for one failure. Resolves when it has finished, failed or been cancelled. */
  async run(input: ExplainInput): Promise<ExplanationState> {
    const { presenter, proposals } = this.deps;
    const { state, result } = await this.diagnose(input, { askWhich: true });
    if (!result?.ok || !result.outcome.ok) return state;
    const { outcome, target } = result;
    if (!outcome.newText) return presenter.dispatch({ type: 'no-fix', reason: outcome.fixError ? `The proposed fix did not fit the file: ${outcome.fixError}` : 'No fix was proposed.' });
    try {
      const uri = vscode.Uri.file(target.file);
      const reviewed = await proposals.propose(uri, outcome.newText, { title: input.name, askAgain: () => void this.run(input) });
      if (!reviewed) return presenter.dispatch({ type: 'no-fix', reason: 'The model proposed no change.' });
      this.outsideLines = new Set(outcome.outsideTarget.flatMap((r) => lineSpan(r.startLine, r.endLine)));
      const session = presenter.dispatch({ type: 'proposed', file: vscode.workspace.asRelativePath(uri) });
      this.mirrorHunks(reviewed);
      await vscode.window.showTextDocument(uri, { preserveFocus: true, preview: false, selection: new vscode.Range(target.range.start.line - 1, 0, target.range.start.line - 1, 0) });
      void reviewed.settled.then((settled) => this.afterSettled(session.sessionId, reviewed, settled, input));
      return this.current;
    } catch (err) {
      return this.failWith(err);
    }
  }

  /** The proposal is settled: say so, and rerun the test when a change was accepted and saved. */
  private async afterSettled(sessionId: number, reviewed: ReviewedProposal, settled: SettledProposal, input: ExplainInput): Promise<void> {
    const { presenter } = this.deps;
    const same = () => presenter.sessionState.sessionId === sessionId;
    if (!same() || settled.cancelled) return;
    this.mirrorHunks(reviewed);
    presenter.dispatch({ type: 'settled', acceptedAny: settled.acceptedAny });
    if (!settled.acceptedAny || !settled.saved || !input.rerun) return;
    presenter.dispatch({ type: 'rerun', rerun: { state: 'running' } });
    let rerun: RerunView;
    try {
      rerun = await input.rerun();
    } catch (err) {
      rerun = { state: 'not-run', message: err instanceof Error ? err.message : String(err) };
    }
    if (same()) presenter.dispatch({ type: 'rerun', rerun });
  }

  /**
   * Everything up to the model's answer, shown in the view as it happens: the target, its blocks,
   * their values, the verdicts and the explanation. `result` is set when the model answered.
   */
  async diagnose(
    input: ExplainInput,
    /** `askWhich`: when the finder is unsure, the user chooses the function (else the most likely is taken, as in the loop). */
    /** `skip`: functions the model already found correct for this failure (Iterate Until Green). */
    /** `outcomes`: how each test file fared in the run the failure comes from (ranks the finder's candidates when it is unsure). */
    options: { notes?: readonly string[]; skip?: readonly CheckedFunction[]; signal?: AbortSignal; sandbox?: SandboxSpec; askWhich?: boolean; outcomes?: readonly TestFileOutcome[] } = {},
  ): Promise<{ state: ExplanationState; result?: DiagnoseResult }> {
    const { presenter, models, log, verdicts } = this.deps;
    this.cancel();
    const controller = new AbortController();
    options.signal?.addEventListener('abort', () => controller.abort());
    this.running = controller;
    this.lastInput = input;
    this.lastTarget = undefined;
    verdicts.clear();
    const timing = new PipelineTiming();
    presenter.start(viewTest(input));
    void presenter.reveal();
    try {
      if (!vscode.workspace.isTrusted) return { state: this.fail('This workspace is not trusted, so Ducktrace runs nothing in it. Trust the workspace to use Explain and Fix.', 'Manage Workspace Trust') };
      const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
      let reveal: Promise<unknown> = Promise.resolve();
      // The test to rerun under the tracer: by its id, or by its file and name.
      const traceable = input.file && input.name && !input.diagnostic ? { testId: input.testId ?? `${input.file}::${input.name}`, name: input.name, file: input.file, framework: input.framework } : undefined;
      // Unsure from the code alone, the finder may run the failing test once to see what ran (fenced
      // like the trace), and then the user chooses among what is left.
      const run = traceable ? await locateRun(traceable, options.sandbox) : undefined;
      const choose = options.askWhich
        ? (found: FoundTarget) => {
            presenter.dispatch({ type: 'choosing', candidates: found.candidates.length });
            return chooseTarget(found, controller.signal);
          }
        : undefined;
      const result = await diagnoseFailure({
        failure: input,
        locate: { ...(run ? { run } : {}), ...(choose ? { choose } : {}), ...(options.outcomes ? { outcomes: options.outcomes } : {}) },
        roots,
        files: this.files,
        parser: this.deps.parser,
        signal: controller.signal,
        notes: options.notes,
        ...(options.skip?.length ? { skip: options.skip } : {}),
        neverSend: neverSendPatterns(),
        maxReplyBytes: modelSettings().limits.maxReplyBytes,
        secretValues: [await models.storedApiKey()].filter((k): k is string => !!k),
        model: async () => {
          const model = await models.resolve();
          presenter.dispatch({ type: 'asking', model: model.description });
          return model;
        },
        trace: traceable ? async (target, _blocks, signal) => toPromptTrace((await this.deps.tracer.trace(traceable, target, { signal: signal ?? controller.signal, ...(options.sandbox ? { sandbox: options.sandbox } : {}) })).run.trace) : undefined,
        onEvent: (e) => {
          timing.onEvent(e);
          if (e.type === 'target') {
            this.lastTarget = e.target;
            log.info(`Explain and fix: ${e.target.functionName} in ${vscode.workspace.asRelativePath(e.target.file)} (${e.blocks.length} blocks; finder ${e.confidence}${e.alternatives.length ? `; also possible: ${e.alternatives.map((t) => t.functionName).join(', ')}` : ''})`);
            // Show the function being debugged, as a person would open it first.
            const r = e.target.range;
            const range = new vscode.Range(r.start.line - 1, r.start.character, r.end.line - 1, r.end.character);
            reveal = Promise.resolve(vscode.window.showTextDocument(vscode.Uri.file(e.target.file), { preserveFocus: true, preview: false, selection: range })).catch(() => undefined);
          } else if (e.type === 'traced' && e.error) log.warn(`Tracing failed, explaining without runtime values: ${e.error}`);
          else if (e.type === 'prompt') {
            this.lastMessages = e.messages;
            log.trace(`Prompt sent:\n${e.messages.map((m) => `--- ${m.role}\n${m.content}`).join('\n')}`);
          } else if (e.type === 'retry') log.info(`Re-asking the model: ${e.reason}`);
          presenter.dispatch(e);
          if (e.type === 'target' && !traceable) presenter.dispatch({ type: 'traced', trace: undefined, skipped: 'No test reaches this function, so no values were recorded: the model sees the function, its blocks and the error alone.' });
        },
      });
      await reveal;
      log.debug(`Explain and fix timing (${input.name ?? 'failure'}): ${timing.describe()}`);
      if (!result.ok) {
        if (controller.signal.aborted) return { state: this.cancelled(), result };
        if (result.reason === 'not-chosen') {
          log.info('Explain and fix: no function was chosen; nothing was sent.');
          return { state: presenter.dispatch({ type: 'cancelled', status: 'No function was chosen, so Ducktrace asked no model. Nothing was changed.' }), result };
        }
        if (result.stage === 'model' && result.cause instanceof ModelError) return { state: this.modelFailed(result.cause, input), result };
        return { state: this.fail(result.error), result };
      }
      const { outcome, target, blocks } = result;
      if (!outcome.ok) {
        if (outcome.kind === 'cancelled') return { state: this.cancelled(), result };
        if (outcome.modelError) return { state: this.modelFailed(outcome.modelError, input), result };
        return { state: this.fail(outcome.error), result };
      }
      log.info(`Model answered (${outcome.tokens.input} tokens in, ${outcome.tokens.output} out): ${outcome.diagnosis.summary}`);
      verdicts.show(target.file, blocks, outcome.diagnosis.verdicts);
      const state = presenter.dispatch({ type: 'answered', summary: outcome.diagnosis.summary, verdicts: outcome.diagnosis.verdicts, testClaim: outcome.diagnosis.testIsWrong?.claim });
      return { state, result };
    } catch (err) {
      return { state: this.failWith(err) };
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  cancel(): void {
    this.running?.abort();
    this.running = undefined;
  }

  /**
   * The view's "Choose Model" or "Set API Key" button was used: when the session stopped for lack
   * of a model (or a key) and a model can be had now, the interrupted request continues.
   */
  async continueAfter(action: ViewAction): Promise<void> {
    const s = this.deps.presenter.sessionState;
    if (this.running || s.phase !== 'error' || (action !== 'Choose Model' && action !== 'Set API Key') || (s.error?.action !== 'Choose Model' && s.error?.action !== 'Set API Key')) return;
    try {
      await this.deps.models.resolve();
    } catch {
      return; // still no model: the error stays as it is
    }
    this.deps.log.info(`Continuing the interrupted Explain and Fix after "${action}".`);
    await this.retry();
  }

  /** Asks again from the start, for the last failure. */
  async retry(): Promise<void> {
    if (this.lastInput) await this.run(this.lastInput);
  }

  /** Opens exactly what was sent to the model, as an untitled markdown document. */
  async showPrompt(): Promise<void> {
    if (!this.lastMessages.length) {
      void vscode.window.showInformationMessage('Ducktrace has not sent a prompt yet.');
      return;
    }
    const body = this.lastMessages.map((m) => `## ${m.role}\n\n\`\`\`\`text\n${m.content}\n\`\`\`\``).join('\n\n');
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `# Prompt sent by Ducktrace\n\n${body}\n` });
    await vscode.window.showTextDocument(doc, { preview: true });
  }

  /** Accept or Reject from the view: the hunk of this session's proposal. */
  async settleHunk(hunkId: string, accept: boolean): Promise<void> {
    const target = this.current.target;
    if (!target) return;
    const ref = { uri: vscode.Uri.file(target.file), hunkId };
    await (accept ? this.deps.proposals.accept(ref) : this.deps.proposals.reject(ref));
  }

  /** Opens a place the view links to: only files this session is about (the view's messages are data). */
  async open(file: string, line: number): Promise<void> {
    const s = this.current;
    if (file !== s.target?.file && file !== s.test?.file) return;
    const at = Math.max(0, (Number(line) || 1) - 1);
    await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(at, 0, at, 0) });
  }

  /**
   * No model, or a refused key: the toast and the view offer the action; once the user has chosen
   * a model or set a key, the interrupted request continues by itself.
   */
  private modelFailed(error: ModelError, input: ExplainInput): ExplanationState {
    const state = this.fail(error.message, error.nextAction);
    const sessionId = state.sessionId;
    void this.deps.models.report(error).then(async (done) => {
      if (!done || this.deps.presenter.sessionState.sessionId !== sessionId || this.running) return;
      this.deps.log.info(`Continuing the interrupted Explain and Fix after "${done}".`);
      await this.run(input);
    });
    return state;
  }

  private failWith(err: unknown): ExplanationState {
    const message = err instanceof Error ? err.message : String(err);
    this.deps.log.error(`Explain and fix failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
    return this.fail(message);
  }

  private fail(message: string, action?: string): ExplanationState {
    this.deps.log.warn(`Explain and fix stopped: ${message}`);
    const known = viewActionOf(action);
    return this.deps.presenter.dispatch({ type: 'failed', message, ...(known ? { action: known } : {}) });
  }

  private cancelled(): ExplanationState {
    // Inside Iterate Until Green, earlier iterations may have changed files: the loop's summary says which.
    const loop = this.deps.presenter.current.loop;
    const loopChanged = !!loop && loop.timeline.some((t) => t.diff);
    return this.deps.presenter.dispatch({ type: 'cancelled', status: loopChanged ? "This diagnosis's fix was not applied. Earlier iterations' changes stay (see the loop's summary)." : 'Nothing was changed.' });
  }

  /** The view mirrors the proposal's hunks and their states. */
  private mirrorHunks(reviewed: ReviewedProposal | undefined): void {
    const s = this.deps.presenter.sessionState;
    const target = s.target;
    if (!reviewed || !target || isBusy(s) || reviewed.uri.fsPath !== target.file) return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === target.file);
    if (!doc) return;
    const text = doc.getText();
    const hunks = reviewed.proposal.hunks.map((h) => {
      const startLine = hunkLines(text, h).startLine + 1;
      return { id: h.id, state: h.state, startLine, oldText: h.oldText, newText: h.newText, outsideTarget: startLine < target.startLine || startLine > target.endLine || this.outsideLines.has(startLine) };
    });
    this.deps.presenter.dispatch({ type: 'hunks', hunks });
  }
}

function viewTest(input: ExplainInput): ViewTest | undefined {
  if (input.diagnostic) {
    const file = input.stack?.[0]?.file ?? input.file;
    if (!file) return undefined;
    return { name: input.name ?? `${vscode.workspace.asRelativePath(file)}:${input.diagnostic.line}`, file, line: input.diagnostic.line, message: input.diagnostic.message, fromDiagnostic: true };
  }
  if (!input.file) return undefined;
  return { name: input.name ?? vscode.workspace.asRelativePath(input.file), file: input.file, line: input.line, message: input.message ?? '', expected: input.expected, actual: input.actual };
}

const lineSpan = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
