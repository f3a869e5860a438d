// "Ducktrace: Iterate Until Green" in the editor: the core loop (src/core/loop) with ports over
// the workspace. Tests run with the project's runners and show in the Testing view; each fix is
// shown inline and waits for the user (review mode) or is applied directly (auto mode), as one
// undo step; originals are checkpointed in the extension's storage until the loop ends.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { createTwoFilesPatch } from 'diff';
import type { RerunView } from '../../core/view/explanationState';
import { isConventionalTestFile } from '../../core/blocks/targetFinder';
import type { TestCaseResult } from '../../core/failures/testFailure';
import { describeOutcome, describePhase, iterateUntilGreen, revertAll, type FixProposal, type IterationRecord, type LoopPorts, type LoopSummary } from '../../core/loop/iterateUntilGreen';
import { testFileOutcomes, testRunOf, type TestRun } from '../../core/loop/testRun';
import { fixProposalOf } from '../../host/duck/diagnoseFailure';
import { chooseSandbox, type SandboxSpec } from '../../host/process/sandbox';
import { runFolder } from '../../host/runners/testService';
import { Disposable } from '../disposable';
import type { ExplainController } from '../explain/explainController';
import type { ExplanationPresenter } from '../explain/explanationPresenter';
import { saveDocument, type ProposalManager } from '../review/proposalManager';
import { loopSettings, sandboxMode, testSettings } from '../settings';
import { pythonInterpreter } from '../testing/pythonInterpreter';
import type { DucktraceTestController } from '../testing/testController';
import { Checkpoints } from './checkpoints';

const testEditsKey = 'ducktrace.allowTestEdits';

export class IterateUntilGreen extends Disposable {
  private running: vscode.CancellationTokenSource | undefined;
  /** The last finished loop, for "Revert all Ducktrace changes". */
  lastSummary: LoopSummary | undefined;
  private readonly reverted = new WeakSet<LoopSummary>();
  private readonly finished = this.register(new vscode.EventEmitter<LoopSummary>());
  readonly onDidFinish = this.finished.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly explain: ExplainController,
    private readonly presenter: ExplanationPresenter,
    private readonly proposals: ProposalManager,
    private readonly tests: DucktraceTestController,
    private readonly checkpoints: Checkpoints,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
  }

  get isRunning(): boolean {
    return !!this.running;
  }

  /** Runs the loop over the workspace (or the test ids given) with a cancellable progress notification. */
  async run(onlyTests?: readonly string[]): Promise<LoopSummary | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Ducktrace runs nothing in an untrusted workspace: trust it to use Iterate Until Green.');
      return undefined;
    }
    if (this.running) {
      void vscode.window.showInformationMessage('Ducktrace is already iterating; cancel it from its progress notification first.');
      return undefined;
    }
    const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
    if (!folders.length) {
      void vscode.window.showInformationMessage('Open a folder with tests to use Iterate Until Green.');
      return undefined;
    }
    const settings = loopSettings();
    const cancel = new vscode.CancellationTokenSource();
    this.running = cancel;
    try {
      if ((await this.checkpoints.pending()).length) {
        // A new loop would checkpoint the interrupted one's changes over the originals it kept.
        void this.checkpoints.offerRecovery(restoreFile, this.log);
        void vscode.window.showWarningMessage('Ducktrace did not start Iterate Until Green: an earlier loop was interrupted, and the originals it kept wait for your Restore or Keep.');
        return undefined;
      }
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Ducktrace: Iterate Until Green', cancellable: true },
        async (progress, token) => {
          token.onCancellationRequested(() => cancel.cancel());
          const controller = new AbortController();
          cancel.token.onCancellationRequested(() => controller.abort());
          const ports = this.ports(folders, settings.mode);
          this.presenter.loopEvent({ type: 'loop-start', mode: settings.mode });
          const summary = await iterateUntilGreen(
            {
              ...ports,
              onEvent: (e) => {
                if (e.type === 'phase') {
                  const text = describePhase(e, settings.maxIterations);
                  progress.report({ message: text });
                  this.presenter.loopEvent({ type: 'loop-status', status: text });
                } else {
                  this.log.info(`Iteration ${e.record.iteration} (${e.record.testName}): ${e.record.result}: ${e.record.detail}`);
                  // The iteration's session says what the rerun after its change showed.
                  const rerun = rerunOf(e.record);
                  if (rerun && this.presenter.sessionState.test?.name === e.record.testName) this.presenter.dispatch({ type: 'rerun', rerun });
                  this.presenter.loopEvent({ type: 'loop-iteration', entry: timelineEntry(e.record) });
                }
              },
            },
            {
              maxIterations: settings.maxIterations,
              maxTokens: settings.maxTokens,
              maxMs: settings.maxMinutes * 60_000,
              signal: controller.signal,
              inScope: onlyTests ? (id) => onlyTests.includes(id) : undefined,
            },
          );
          // The report must describe the files as they are: a last change (a revert) after the
          // last run gets one more run.
          if (!this.lastRun && summary.originals.size && !controller.signal.aborted && !this.disposing) {
            progress.report({ message: 'Checking the tests once more after the last change…' });
            await ports.runTests(controller.signal).catch((err: unknown) => this.log.warn(`The final test run failed: ${String(err)}`));
          }
          return summary;
        },
      );
      // The extension is shutting down (window reload, extension host exit): the checkpoints stay
      // for the next activation to offer back, and nothing more is shown.
      if (this.disposing) return summary;
      await this.checkpoints.clear();
      this.lastSummary = summary;
      this.presenter.loopEvent({ type: 'loop-summary', summary: summaryView(summary, this.lastRun) });
      void this.presenter.reveal();
      this.finished.fire(summary);
      this.log.info(`Iterate Until Green stopped (${summary.stop}): ${summary.message}`);
      void this.announce(summary);
      return summary;
    } finally {
      cancel.dispose();
      this.running = undefined;
    }
  }

  cancel(): void {
    this.running?.cancel();
  }

  private disposing = false;

  /** Shutting down mid-loop stops the loop before its next change to a file; its checkpoints stay. */
  override dispose(): void {
    this.disposing = true;
    if (this.running) this.log.warn('The extension is shutting down in the middle of Iterate Until Green: the loop stops before its next change, and its checkpoints stay for the next window.');
    this.cancel();
    super.dispose();
  }

  /** Restores the exact contents every touched file had before the last loop. */
  async revertAll(summary = this.lastSummary): Promise<string[]> {
    if (!summary || summary.originals.size === 0) {
      void vscode.window.showInformationMessage('Ducktrace has no changes to revert.');
      return [];
    }
    // A second Revert All (a stale button, the old toast) would write the originals over whatever
    // was done since: once is all.
    if (this.reverted.has(summary)) {
      void vscode.window.showInformationMessage('Ducktrace already reverted the changes of that Iterate Until Green.');
      return [];
    }
    this.reverted.add(summary);
    const restored = await revertAll(summary.originals, (file, text) => writeWholeFile(file, text));
    if (summary === this.lastSummary) this.presenter.loopEvent({ type: 'loop-reverted', files: restored.map((f) => vscode.workspace.asRelativePath(f)) });
    this.log.info(`Reverted ${restored.length} file(s): ${restored.map((f) => vscode.workspace.asRelativePath(f)).join(', ')}`);
    void vscode.window.showInformationMessage(`Ducktrace restored ${restored.length} file(s) to their contents before Iterate Until Green.`);
    return restored;
  }

  private async announce(summary: LoopSummary): Promise<void> {
    const text = `Ducktrace: ${describeOutcome(summary)}`;
    const actions = summary.originals.size ? ['Revert All Ducktrace Changes', 'Show Details'] : ['Show Details'];
    const pick = summary.stop === 'green' || summary.stop === 'nothing-to-fix' ? await vscode.window.showInformationMessage(text, ...actions) : await vscode.window.showWarningMessage(text, ...actions);
    if (pick === 'Revert All Ducktrace Changes') await this.revertAll(summary);
    else if (pick === 'Show Details') await vscode.commands.executeCommand('ducktrace.explanation.focus');
  }

  /** The loop's last test run, in words: the summary is made from it. */
  private lastRun: string | undefined;

  /** Said once per window: runs after a model's change are not fenced here. */
  private sandboxNoticeShown = false;

  /** The fence for runs after a model's change (`ducktrace.sandbox`), or undefined; says once when there is none. */
  private sandboxFor(roots: readonly string[]): SandboxSpec | undefined {
    const choice = chooseSandbox(sandboxMode(), roots);
    if (choice.notice && !this.sandboxNoticeShown) {
      this.sandboxNoticeShown = true;
      this.log.warn(choice.notice);
      void vscode.window.showWarningMessage(`Ducktrace: ${choice.notice}`);
    }
    return choice.sandbox;
  }

  private ports(folders: readonly vscode.WorkspaceFolder[], mode: 'review' | 'auto'): LoopPorts {
    const roots = folders.map((f) => f.uri.fsPath);
    const touched = new Set<string>();
    this.lastRun = undefined;
    const fence = this.sandboxFor(roots);
    // Once a model's change is in a file (auto: written; review: accepted), every run executes code
    // the model wrote: test runs and traces are fenced from then on.
    let modelChanged = false;
    const sandbox = () => (modelChanged ? fence : undefined);
    return {
      runTests: async (sig) => {
        // The tests run the files on disk: every file the loop changed must be saved first.
        for (const file of touched) {
          if (!(await saveDocument(vscode.Uri.file(file)))) throw new Error(`Ducktrace could not save ${vscode.workspace.asRelativePath(file)}, so the tests would run on the old file.`);
        }
        const results: TestCaseResult[] = [];
        const fenced = sandbox();
        for (const folder of folders) {
          const t = testSettings(folder.uri);
          const run = await runFolder(folder.uri.fsPath, t.framework, {
            helpersDir: vscode.Uri.joinPath(this.context.extensionUri, 'dist').fsPath,
            python: await pythonInterpreter(folder.uri),
            testTimeoutMs: t.testTimeoutMs,
            signal: sig,
            ...(fenced ? { sandbox: fenced } : {}),
          });
          for (const report of run.reports) results.push(...report.results);
        }
        if (sig.aborted) throw new Error('cancelled');
        this.tests.reportExternal(results, fenced ? 'Ducktrace: Iterate Until Green (sandboxed)' : 'Ducktrace: Iterate Until Green');
        const run: TestRun = testRunOf(results);
        this.lastRun = `The last test run, after the last change: ${run.passed.length} passed, ${run.failures.length} failed.`;
        return run;
      },
      propose: async (failure, notes, sig, checked, run): Promise<FixProposal> => {
        const fenced = sandbox();
        const { result } = await this.explain.diagnose(failure, { notes, skip: checked ?? [], signal: sig, ...(fenced ? { sandbox: fenced } : {}), ...(run ? { outcomes: testFileOutcomes(run) } : {}) });
        if (!result) return { ok: false, error: this.explain.current.error?.message ?? 'Ducktrace could not diagnose this failure.' };
        return fixProposalOf(result);
      },
      readFile: async (file) => {
        const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
        return doc.getText();
      },
      writeFile: (file, text) => {
        // A revert: the last run no longer describes the files on disk.
        touched.add(file);
        this.lastRun = undefined;
        return writeWholeFile(file, text);
      },
      review: async (file, newText, sig) => {
        touched.add(file);
        const before = (await vscode.workspace.openTextDocument(vscode.Uri.file(file))).getText();
        if (mode === 'auto') {
          modelChanged = true;
          await writeWholeFile(file, newText);
          return newText;
        }
        const after = await this.reviewInline(file, newText, sig);
        if (after !== before) modelChanged = true;
        return after;
      },
      isTestFile: (file) => isConventionalTestFile(file, roots),
      mayEditTests: () => this.mayEditTests(),
      checkpoint: (file, original) => this.checkpoints.save(file, original),
      preference: (failure) => {
        const active = vscode.window.activeTextEditor?.document.uri.fsPath;
        return active && (failure.file === active || failure.stack.some((s) => s.file === active)) ? 5 : 0;
      },
    };
  }

  /**
   * Shows the fix inline and waits until every hunk is settled and the file is saved (or the loop
   * is cancelled). The proposal's manager owns the save; the text returned is on disk.
   */
  private async reviewInline(file: string, newText: string, signal: AbortSignal): Promise<string> {
    const uri = vscode.Uri.file(file);
    const reviewed = await this.proposals.propose(uri, newText, { title: 'Iterate Until Green', save: 'always' });
    if (!reviewed) return (await vscode.workspace.openTextDocument(uri)).getText();
    this.presenter.dispatch({ type: 'proposed', file: vscode.workspace.asRelativePath(uri) });
    await vscode.window.showTextDocument(uri, { preview: false });
    // A cancelled loop leaves nothing half-applied: the open hunks are rejected.
    const onAbort = () => void this.proposals.rejectAll(uri);
    signal.addEventListener('abort', onAbort);
    if (signal.aborted) onAbort();
    let settled;
    try {
      settled = await reviewed.settled;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    this.presenter.dispatch({ type: 'settled', acceptedAny: settled.acceptedAny });
    const doc = await vscode.workspace.openTextDocument(uri);
    if (settled.acceptedAny && !settled.saved) throw new Error(`Ducktrace could not save ${vscode.workspace.asRelativePath(uri)}; the loop stopped so that the tests do not run on the old file. The accepted changes are in the editor, unsaved.`);
    return doc.getText();
  }

  /**
   * Asks the user whether fixes may edit test files: 'allow', 'deny', or undefined when the
   * question was dismissed. A property so the integration tests can answer it (a modal cannot be
   * clicked from the extension host).
   */
  askTestEditPermission: () => Promise<'allow' | 'deny' | undefined> = async () => {
    const pick = await vscode.window.showWarningMessage(
      'A proposed fix edits a test file. Tests are the specification: allow Ducktrace to edit test files in this workspace?',
      { modal: true, detail: 'Your answer is remembered for this workspace. "Ducktrace: Forget Test-Edit Permission" makes Ducktrace ask again.' },
      'Allow',
      "Don't Allow",
    );
    return pick === 'Allow' ? 'allow' : pick === "Don't Allow" ? 'deny' : undefined;
  };

  private async mayEditTests(): Promise<boolean> {
    const remembered = this.context.workspaceState.get<boolean>(testEditsKey);
    if (remembered !== undefined) return remembered;
    const answer = await this.askTestEditPermission();
    // A dismissed question (Escape) refuses this time only; the next loop asks again.
    if (answer === undefined) return false;
    await this.context.workspaceState.update(testEditsKey, answer === 'allow');
    return answer === 'allow';
  }

  async forgetTestEditPermission(): Promise<void> {
    await this.context.workspaceState.update(testEditsKey, undefined);
    void vscode.window.showInformationMessage('Ducktrace will ask again before it edits a test file.');
  }
}

/** Puts a checkpoint's original back: through the editor (one undo step), or recreated on disk when the file is gone. */
export async function restoreFile(file: string, text: string): Promise<void> {
  const uri = vscode.Uri.file(file);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    await vscode.workspace.fs.writeFile(uri, Buffer.from(text, 'utf8'));
    return;
  }
  await writeWholeFile(file, text);
}

/** Replaces a file's whole text as one edit (one undo step) and saves it (the file on disk holds it after). */
export async function writeWholeFile(file: string, text: string): Promise<void> {
  const uri = vscode.Uri.file(file);
  const doc = await vscode.workspace.openTextDocument(uri);
  // A document has one line ending; the text's own comes with it (else VS Code would convert it).
  const eol = text.includes('\r\n') ? vscode.EndOfLine.CRLF : text.includes('\n') ? vscode.EndOfLine.LF : doc.eol;
  if (doc.getText() !== text || doc.eol !== eol) {
    const edit = new vscode.WorkspaceEdit();
    const edits = [vscode.TextEdit.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text)];
    if (doc.eol !== eol) edits.unshift(vscode.TextEdit.setEndOfLine(eol));
    edit.set(uri, edits);
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`Could not edit ${path.basename(file)}.`);
  }
  if (!(await saveDocument(uri))) throw new Error(`Could not save ${path.basename(file)}.`);
}

function timelineEntry(r: IterationRecord) {
  const name = r.file ? vscode.workspace.asRelativePath(r.file) : '';
  const diff = r.file && r.before !== undefined && r.after !== undefined && r.before !== r.after ? createTwoFilesPatch(name, name, r.before, r.after, 'before', 'after', { context: 2 }) : undefined;
  return { iteration: r.iteration, test: r.testName, result: r.result, detail: r.detail, ...(r.summary ? { summary: r.summary } : {}), ...(diff ? { diff } : {}) };
}

function summaryView(s: LoopSummary, finalRun: string | undefined) {
  return {
    stop: s.stop,
    message: s.message,
    fixed: s.fixed,
    stillFailing: s.stillFailing.map((f) => ({ name: f.name, why: f.why })),
    changedFiles: [...s.originals.keys()].map((f) => vscode.workspace.asRelativePath(f)),
    ...(finalRun ? { finalRun } : {}),
  };
}

/** What the tests said about an iteration's own test after its change, for the view. */
function rerunOf(r: IterationRecord): RerunView | undefined {
  switch (r.result) {
    case 'fixed':
      return { state: 'passed' };
    case 'progress':
    case 'no-progress':
    case 'reverted':
      return r.before !== r.after || r.result === 'reverted' ? { state: 'failed', message: r.detail } : undefined;
    default:
      return undefined;
  }
}
