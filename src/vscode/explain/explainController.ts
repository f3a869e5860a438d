// "Explain and fix" inside the editor: from a failure to the target function, its blocks, (its
// trace), the model's verdicts and explanation in the Ducktrace view, and the fix as an inline
// proposal. Every step reports into the view; every failure ends in a clear message and leaves
// the user's files untouched.
import * as vscode from 'vscode';
import type { Block } from '../../core/blocks/basicBlocks';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { Target } from '../../core/blocks/targetFinder';
import type { BlockVerdict } from '../../core/duck/diagnosis';
import type { PromptTrace } from '../../core/duck/prompt';
import type { Trace } from '../../core/trace/traceModel';
import { stepsForSelection, traceTable } from '../../core/trace/traceView';
import { emptyState, type ExplanationState, type LoopView, type ViewBlock } from '../../core/explanationState';
import type { IterationRecord, LoopSummary } from '../../core/loop/iterateUntilGreen';
import { createTwoFilesPatch } from 'diff';
import type { ChatMessage } from '../../core/modelClient';
import { diagnoseFailure, type DiagnoseResult, type FailureToDiagnose } from '../../host/duck/diagnoseFailure';
import { ModelError } from '../../core/modelClient';
import { NodeSourceFiles } from '../../host/nodeSourceFiles';
import type { SandboxSpec } from '../../host/process/sandbox';
import { hunkLines } from '../../core/patch/proposal';
import { CommandIds } from '../commandIds';
import { Disposable } from '../disposable';
import type { ModelSelection } from '../models/modelSelection';
import type { ProposalManager } from '../review/proposalManager';
import { modelSettings, neverSendPatterns } from '../settings';
import type { ExplanationView } from './explanationView';

/** What Explain and fix starts from: a failing test (a TestFailure fits), or a file and line. */
export interface ExplainInput extends FailureToDiagnose {
  /** Reruns the failing test after the fix is settled. */
  readonly rerun?: () => Promise<void> | void;
}

/** Records runtime values per block; joins in when tracing is available. `sandbox`: fence the traced run (after a model's change). */
export type TraceProvider = (input: ExplainInput, target: Target, blocks: readonly Block[], signal: AbortSignal, sandbox?: SandboxSpec) => Promise<PromptTrace | undefined>;

/** Open editors' text first (unsaved edits count), the file system otherwise. */
class EditorSourceFiles implements SourceFiles {
  private readonly disk = new NodeSourceFiles();
  async read(file: string): Promise<string | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    return open ? open.getText() : this.disk.read(file);
  }
}

export class ExplainController extends Disposable {
  private readonly files = new EditorSourceFiles();
  private state: ExplanationState = emptyState();
  private running: AbortController | undefined;
  private lastInput: ExplainInput | undefined;
  private lastMessages: readonly ChatMessage[] = [];
  private readonly verdictOk: vscode.TextEditorDecorationType;
  private readonly verdictBad: vscode.TextEditorDecorationType;
  private verdictDoc: { uri: vscode.Uri; ok: vscode.DecorationOptions[]; bad: vscode.DecorationOptions[] } | undefined;
  traceProvider: TraceProvider | undefined;
  /** The function the last run debugged. */
  lastTarget: Target | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly parser: SourceParser,
    private readonly view: ExplanationView,
    private readonly models: ModelSelection,
    private readonly proposals: ProposalManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    const gutter = (file: string, label: string) =>
      vscode.window.createTextEditorDecorationType({ gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', file), gutterIconSize: 'contain', after: { contentText: label, color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em' } });
    this.verdictOk = this.register(gutter('verdict-ok.svg', ''));
    this.verdictBad = this.register(gutter('verdict-bad.svg', ''));
    this.register(view.onMessage((m) => this.onViewMessage(m)));
    this.showTrust();
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.update(emptyState(this.state.sessionId + 1))));
    this.register(proposals.onDidChange(() => this.mirrorHunks()));
    this.register(vscode.window.onDidChangeVisibleTextEditors(() => this.paintVerdicts()));
    // Verdicts describe the code as it was: an edit in that file clears them.
    this.register(vscode.workspace.onDidChangeTextDocument((e) => {
      if (this.verdictDoc && e.document.uri.toString() === this.verdictDoc.uri.toString() && e.contentChanges.length) {
        this.verdictDoc = undefined;
        this.paintVerdicts();
      }
    }));
  }

  /** In an untrusted workspace the view says why nothing will run, before anything is tried. */
  private showTrust(): void {
    if (vscode.workspace.isTrusted) return;
    this.update({ ...emptyState(), phase: 'error', error: { message: 'This workspace is not trusted, so Ducktrace runs no tests, tracers or interpreters in it.', action: 'Manage Workspace Trust' } });
  }

  get current(): ExplanationState {
    return { ...this.state, loop: this.loop };
  }

  /**
   * "Trace Failing Test" shows its trace here too: the test, the function's blocks with the values
   * of the chosen call, and that call's steps as a table. A running Explain and Fix keeps the view.
   */
  showTrace(shown: { test: { testId: string; name: string; file: string; line?: number }; target: Target; blocks: readonly Block[]; trace: Trace; selection: { call: number; iteration: number } } | undefined): void {
    if (this.running) return;
    if (!shown) {
      if (this.state.traceTable) this.update(emptyState(this.state.sessionId + 1));
      this.shownTrace = undefined;
      return;
    }
    const { test, target, blocks, trace, selection } = shown;
    const table = traceTable(target.functionName, trace, selection.call);
    const steps = stepsForSelection(trace, selection);
    const state: ExplanationState = {
      // A new trace is a new session of the view; stepping through its calls is the same one.
      ...emptyState(this.shownTrace === trace ? this.state.sessionId : this.state.sessionId + 1),
      phase: 'done',
      status: `Values recorded while ${test.name} ran: call ${selection.call + 1} of ${trace.calls.length}${trace.truncated ? ' (trace cut to its budget)' : ''}.`,
      test: { name: test.name, file: test.file, ...(test.line ? { line: test.line } : {}), message: '' },
      target: { name: target.functionName, file: target.file, startLine: target.range.start.line, endLine: target.range.end.line, language: target.language },
      blocks: blocks.map((b) => {
        const step = steps.get(b.id);
        return { id: b.id, kind: b.kind, startLine: b.range.start.line, endLine: b.range.end.line, text: b.text, ...(step ? { values: Object.entries(step.vars).map(([name, v]) => `${name} = ${v.text}`) } : {}) };
      }),
      ...(table ? { traceTable: table } : {}),
    };
    this.shownTrace = trace;
    this.tracedTestId = test.testId;
    this.update(state);
  }

  /** The trace whose table the view shows, and its test. */
  private shownTrace: Trace | undefined;
  private tracedTestId: string | undefined;

  /** Runs the whole round for one failure. Resolves when it has finished, failed or been cancelled. */
  async run(input: ExplainInput): Promise<ExplanationState> {
    const { state, result } = await this.diagnose(input);
    if (!result?.ok || !result.outcome.ok) return state;
    const { outcome, target } = result;
    if (!outcome.newText) return this.finishWithoutFix(state, outcome.fixError);
    try {
      const uri = vscode.Uri.file(target.file);
      const reviewed = await this.proposals.propose(uri, outcome.newText, {
        title: input.name,
        askAgain: () => void this.run(input),
        afterSettled: input.rerun ? () => input.rerun!() : undefined,
      });
      state.phase = reviewed ? 'proposed' : 'done';
      state.status = reviewed ? `Review the proposed change in ${vscode.workspace.asRelativePath(uri)}` : 'The model proposed no change.';
      if (reviewed) {
        this.outsideLines = new Set(outcome.outsideTarget.flatMap((r) => lineSpan(r.startLine, r.endLine)));
        await vscode.window.showTextDocument(uri, { preserveFocus: true, preview: false, selection: new vscode.Range(target.range.start.line - 1, 0, target.range.start.line - 1, 0) });
      }
      this.update(state);
      this.mirrorHunks();
      return state;
    } catch (err) {
      return this.failWith(state, err);
    }
  }

  /**
   * Everything up to the model's answer, shown in the view as it happens: the target, its blocks,
   * their values, the verdicts and the explanation. `result` is set when the model answered.
   */
  async diagnose(input: ExplainInput, options: { notes?: readonly string[]; signal?: AbortSignal; sandbox?: SandboxSpec } = {}): Promise<{ state: ExplanationState; result?: DiagnoseResult }> {
    this.cancel();
    const controller = new AbortController();
    options.signal?.addEventListener('abort', () => controller.abort());
    this.running = controller;
    this.lastInput = input;
    this.lastTarget = undefined;
    this.verdictDoc = undefined;
    this.paintVerdicts();
    const state: ExplanationState = {
      ...emptyState(this.state.sessionId + 1),
      phase: 'locating',
      status: 'Finding the function to debug',
      test: input.file ? { name: input.name ?? vscode.workspace.asRelativePath(input.file), file: input.file, line: input.line, message: input.message ?? '', expected: input.expected, actual: input.actual } : undefined,
    };
    this.update(state);
    void this.view.reveal();
    try {
      if (!vscode.workspace.isTrusted) return { state: this.fail(state, 'This workspace is not trusted, so Ducktrace runs nothing in it. Trust the workspace to use Explain and Fix.', 'Manage Workspace Trust') };
      const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
      let modelName = '';
      let reveal: Promise<unknown> = Promise.resolve();
      const result = await diagnoseFailure({
        failure: input,
        roots,
        files: this.files,
        parser: this.parser,
        signal: controller.signal,
        notes: options.notes,
        neverSend: neverSendPatterns(),
        maxReplyBytes: modelSettings().limits.maxReplyBytes,
        secretValues: [await this.models.storedApiKey()].filter((k): k is string => !!k),
        model: async () => {
          const model = await this.models.resolve();
          modelName = model.description;
          state.model = model.description;
          state.phase = 'asking';
          state.status = `Asking ${model.description}`;
          this.update(state);
          return model;
        },
        trace: this.traceProvider ? (target, blocks, signal) => this.traceProvider!(input, target, blocks, signal ?? controller.signal, options.sandbox) : undefined,
        onEvent: (e) => {
          switch (e.type) {
            case 'target': {
              const { target, blocks } = e;
              this.lastTarget = target;
              this.log.info(`Explain and fix: ${target.functionName} in ${vscode.workspace.asRelativePath(target.file)} (${blocks.length} blocks)`);
              state.target = { name: target.functionName, file: target.file, startLine: target.range.start.line, endLine: target.range.end.line, language: target.language };
              state.blocks = blocks.map((b): ViewBlock => ({ id: b.id, kind: b.kind, startLine: b.range.start.line, endLine: b.range.end.line, text: b.text }));
              // Show the function being debugged, as a person would open it first.
              const range = new vscode.Range(target.range.start.line - 1, target.range.start.character, target.range.end.line - 1, target.range.end.character);
              reveal = Promise.resolve(vscode.window.showTextDocument(vscode.Uri.file(target.file), { preserveFocus: true, preview: false, selection: range })).catch(() => undefined);
              break;
            }
            case 'tracing':
              state.phase = 'tracing';
              state.status = 'Rerunning the test and recording values after each block';
              break;
            case 'traced':
              if (e.error) this.log.warn(`Tracing failed, explaining without runtime values: ${e.error}`);
              if (e.trace) state.blocks = state.blocks.map((b) => ({ ...b, values: valuesAfter(e.trace!, b.id) }));
              break;
            case 'prompt':
              this.lastMessages = e.messages;
              state.hasPrompt = true;
              this.log.trace(`Prompt sent to ${modelName}:\n${e.messages.map((m) => `--- ${m.role}\n${m.content}`).join('\n')}`);
              break;
            case 'verdicts':
              applyVerdicts(state, e.verdicts);
              state.status = `Receiving the answer: ${e.verdicts.length} of ${state.blocks.length} blocks judged`;
              break;
            case 'text':
              state.status = `Receiving the answer (${e.text.length} characters)`;
              break;
            case 'retry':
              state.status = `Asking again: ${e.reason}`;
              this.log.info(`Re-asking the model: ${e.reason}`);
              break;
          }
          this.update(state);
        },
      });
      await reveal;
      if (!result.ok) {
        if (result.stage === 'model' && result.cause instanceof ModelError) {
          void this.models.report(result.cause);
          return { state: this.fail(state, result.error, result.cause.nextAction), result };
        }
        return { state: this.fail(state, result.error), result };
      }
      const { outcome, target, blocks } = result;
      if (!outcome.ok) {
        if (outcome.kind === 'cancelled') return { state: this.cancelled(state), result };
        if (outcome.modelError) void this.models.report(outcome.modelError);
        return { state: this.fail(state, outcome.error, outcome.modelError?.nextAction), result };
      }
      this.log.info(`Model answered (${outcome.tokens.input} tokens in, ${outcome.tokens.output} out): ${outcome.diagnosis.summary}`);
      applyVerdicts(state, outcome.diagnosis.verdicts);
      state.explanation = outcome.diagnosis.summary;
      state.testClaim = outcome.diagnosis.testIsWrong?.claim;
      state.phase = 'done';
      state.status = 'Answer received';
      this.showVerdicts(target, blocks, outcome.diagnosis.verdicts);
      this.update(state);
      return { state, result };
    } catch (err) {
      return { state: this.failWith(state, err) };
    } finally {
      if (this.running === controller) this.running = undefined;
    }
  }

  private finishWithoutFix(state: ExplanationState, fixError: string | undefined): ExplanationState {
    state.phase = 'done';
    state.status = fixError ? `The proposed fix did not fit the file: ${fixError}` : 'No fix was proposed.';
    this.update(state);
    return state;
  }

  private failWith(state: ExplanationState, err: unknown): ExplanationState {
    const message = err instanceof Error ? err.message : String(err);
    this.log.error(`Explain and fix failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
    return this.fail(state, message);
  }

  cancel(): void {
    this.running?.abort();
    this.running = undefined;
  }

  private outsideLines = new Set<number>();
  private loop: LoopView | undefined;
  /** Called by the view's "Revert all Ducktrace changes". */
  onRevertAll: (() => Promise<unknown>) | undefined;

  /** Iterate Until Green starts: the view keeps a timeline across its sessions. */
  startLoop(mode: 'review' | 'auto'): void {
    this.loop = { mode, timeline: [] };
    this.update(this.state);
  }

  /** What the loop is doing now (its progress notification says the same). */
  setLoopStatus(text: string): void {
    if (!this.loop || this.loop.status === text) return;
    this.loop.status = text;
    this.update(this.state);
  }

  recordIteration(r: IterationRecord): void {
    if (!this.loop) return;
    const name = r.file ? vscode.workspace.asRelativePath(r.file) : '';
    const diff = r.file && r.before !== undefined && r.after !== undefined && r.before !== r.after ? createTwoFilesPatch(name, name, r.before, r.after, 'before', 'after', { context: 2 }) : undefined;
    this.loop.timeline.push({ iteration: r.iteration, test: r.testName, result: r.result, detail: r.detail, summary: r.summary, diff });
    this.update(this.state);
  }

  recordSummary(s: LoopSummary): void {
    if (!this.loop) this.loop = { mode: 'review', timeline: [] };
    this.loop.summary = {
      stop: s.stop,
      message: s.message,
      fixed: s.fixed,
      stillFailing: s.stillFailing.map((f) => ({ name: f.name, why: f.why })),
      changedFiles: [...s.originals.keys()].map((f) => vscode.workspace.asRelativePath(f)),
    };
    this.update(this.state);
    void this.view.reveal();
  }

  private update(state: ExplanationState): void {
    this.state = state;
    this.view.show({ ...state, blocks: state.blocks.map((b) => ({ ...b })), hunks: [...state.hunks], loop: this.loop && { ...this.loop, timeline: [...this.loop.timeline] } });
  }

  private fail(state: ExplanationState, message: string, action?: string): ExplanationState {
    state.phase = 'error';
    state.status = '';
    state.error = { message, action };
    this.log.warn(`Explain and fix stopped: ${message}`);
    this.update(state);
    return state;
  }

  private cancelled(state: ExplanationState): ExplanationState {
    state.phase = 'cancelled';
    // Inside Iterate Until Green, earlier iterations may have changed files: the loop's summary says which.
    const loopChanged = !!this.loop && this.loop.timeline.some((t) => t.diff);
    state.status = loopChanged ? "This diagnosis's fix was not applied. Earlier iterations' changes stay (see the loop's summary below)." : 'Nothing was changed.';
    this.update(state);
    return state;
  }

  /** The view mirrors the proposal's hunks and their states. */
  private mirrorHunks(): void {
    const target = this.state.target;
    if (!target) return;
    const reviewed = this.proposals.get(vscode.Uri.file(target.file));
    if (!reviewed && this.state.phase !== 'proposed') return;
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === target.file);
    if (reviewed && doc) {
      const text = doc.getText();
      this.state.hunks = reviewed.proposal.hunks.map((h) => {
        const startLine = hunkLines(text, h).startLine + 1;
        return { id: h.id, state: h.state, startLine, oldText: h.oldText, newText: h.newText, outsideTarget: startLine < target.startLine || startLine > target.endLine || this.outsideLines.has(startLine) };
      });
    } else if (!reviewed) {
      // Settled: keep the last states, mark what was still pending as decided elsewhere.
      this.state.phase = 'done';
      this.state.status = 'All changes settled.';
    }
    this.update(this.state);
  }

  private showVerdicts(target: Target, blocks: readonly Block[], verdicts: readonly BlockVerdict[]): void {
    const ok: vscode.DecorationOptions[] = [];
    const bad: vscode.DecorationOptions[] = [];
    for (const v of verdicts) {
      const block = blocks.find((b) => b.id === v.blockId);
      if (!block) continue;
      const line = block.range.start.line - 1;
      const hover = new vscode.MarkdownString(`**Ducktrace · block ${block.id}: ${v.correct ? 'looks correct ✓' : 'looks wrong ✗'}**\n\n`);
      hover.appendText(v.why);
      // The editor clamps the column to the line's end, where the reason is drawn.
      const item = { range: new vscode.Range(line, 0, line, 100_000), hoverMessage: hover, renderOptions: v.correct ? undefined : { after: { contentText: `✗ ${truncate(v.why, 80)}` } } };
      (v.correct ? ok : bad).push(item);
    }
    this.verdictDoc = { uri: vscode.Uri.file(target.file), ok, bad };
    this.paintVerdicts();
  }

  private paintVerdicts(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const mine = this.verdictDoc && editor.document.uri.toString() === this.verdictDoc.uri.toString();
      editor.setDecorations(this.verdictOk, mine ? this.verdictDoc!.ok : []);
      editor.setDecorations(this.verdictBad, mine ? this.verdictDoc!.bad : []);
    }
  }

  private async onViewMessage(m: import('./explanationView').ViewMessage): Promise<void> {
    const target = this.state.target;
    switch (m.type) {
      case 'cancel':
        this.cancel();
        break;
      case 'retry':
        if (this.lastInput) await this.run(this.lastInput);
        break;
      case 'explainTraced':
        // The traced test, through the command: it resolves the recorded failure by its id.
        if (this.state.traceTable && this.tracedTestId) await vscode.commands.executeCommand(CommandIds.explainAndFix, this.tracedTestId);
        break;
      case 'showPrompt':
        await this.showPrompt();
        break;
      case 'accept':
      case 'reject':
        if (target) await (m.type === 'accept' ? this.proposals.accept({ uri: vscode.Uri.file(target.file), hunkId: m.hunkId }) : this.proposals.reject({ uri: vscode.Uri.file(target.file), hunkId: m.hunkId }));
        break;
      case 'open':
        // Only files this session is about: the view's messages are not trusted with paths.
        if (m.file === target?.file || m.file === this.state.test?.file) {
          const line = Math.max(0, (Number(m.line) || 1) - 1);
          await vscode.window.showTextDocument(vscode.Uri.file(m.file), { selection: new vscode.Range(line, 0, line, 0) });
        }
        break;
      case 'revertAll':
        await this.onRevertAll?.();
        break;
      case 'action':
        if (m.action === 'Set API Key') await vscode.commands.executeCommand('ducktrace.setApiKey');
        else if (m.action === 'Choose Model') await vscode.commands.executeCommand('ducktrace.chooseModel');
        else if (m.action === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'ducktrace');
        else if (m.action === 'Manage Workspace Trust') await vscode.commands.executeCommand('workbench.trust.manage');
        break;
    }
  }

  /** Opens exactly what was sent to the model, as a read-only-looking untitled markdown document. */
  async showPrompt(): Promise<void> {
    if (!this.lastMessages.length) {
      void vscode.window.showInformationMessage('Ducktrace has not sent a prompt yet.');
      return;
    }
    const body = this.lastMessages.map((m) => `## ${m.role}\n\n\`\`\`\`text\n${m.content}\n\`\`\`\``).join('\n\n');
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: `# Prompt sent by Ducktrace\n\n${body}\n` });
    await vscode.window.showTextDocument(doc, { preview: true });
  }
}

function applyVerdicts(state: ExplanationState, verdicts: readonly BlockVerdict[]): void {
  for (const v of verdicts) {
    const block = state.blocks.find((b) => b.id === v.blockId);
    if (block) block.verdict = { correct: v.correct, why: v.why };
  }
}

/** The values after a block in its first traced visit, one "name = value" line each. */
function valuesAfter(trace: PromptTrace, blockId: string): string[] | undefined {
  for (const call of trace.calls) {
    const step = call.steps.find((s) => s.blockId === blockId);
    if (step) return Object.entries(step.vars).map(([k, v]) => `${k} = ${typeof v === 'string' ? v : renderValue(v)}`);
  }
  return undefined;
}

function renderValue(v: unknown): string {
  if (v && typeof v === 'object' && 'text' in v) return String((v as { text: unknown }).text);
  return JSON.stringify(v);
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const lineSpan = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i);
