// "Ducktrace: Trace Failing Test": reruns a test under the tracer and shows, after each block's
// last line, the values its variables had after that block, for one chosen call and loop
// iteration. A CodeLens above the function steps through calls and iterations; a hover on a
// block's last line shows every value in full with the call's arguments and result. Any edit of
// the file clears it (the values describe the old text), and so does "Ducktrace: Clear Trace".
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Block } from '../../core/blocks/basicBlocks';
import { blocksOfFunction } from '../../core/blocks/functionBlocks';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { TargetFinder, type Target } from '../../core/blocks/targetFinder';
import type { TestFailure } from '../../core/failures/testFailure';
import type { Trace } from '../../core/trace/traceModel';
import {
  blocksNotRun,
  callSummary,
  hoverMarkdown,
  initialSelection,
  inlineText,
  iterationCount,
  stepSelection,
  stepsForSelection,
  varsBefore,
  type TraceSelection,
} from '../../core/trace/traceView';
import { NodeSourceFiles } from '../../host/nodeSourceFiles';
import { CommandIds } from '../commandIds';
import { DocumentDecorations } from '../decorations/documentDecorations';
import { Disposable } from '../disposable';
import type { TraceLauncher } from './traceLauncher';

/** What the command needs of a test: a TestFailure fits; a passing test described the same way too. */
export type TracedTest = Pick<TestFailure, 'testId' | 'framework' | 'file' | 'line' | 'name' | 'stack'>;

/** One value line as drawn (and as tests read it). */
export interface InlineValueLine {
  readonly blockId: string;
  /** 1-based line the text is drawn after: the block's last line. */
  readonly line: number;
  /**
   * The text after the line, without the leading marker: what the block changed (`total = 7`),
   * `no change`, or `not run in this call`. Every value is in the hover.
   */
  readonly text: string;
  readonly ran: boolean;
}

export interface ShownTrace {
  readonly test: TracedTest;
  readonly target: Target;
  readonly blocks: readonly Block[];
  readonly trace: Trace;
  readonly selection: TraceSelection;
  /** Calls recorded, and iterations of the selected call. */
  readonly calls: number;
  readonly iterations: number;
  readonly lines: readonly InlineValueLine[];
}

interface State {
  readonly uri: string;
  readonly test: TracedTest;
  readonly target: Target;
  readonly blocks: readonly Block[];
  readonly trace: Trace;
  selection: TraceSelection;
}

const traceableLanguages = [
  { language: 'python', scheme: 'file' },
  { language: 'javascript', scheme: 'file' },
  { language: 'javascriptreact', scheme: 'file' },
  { language: 'typescript', scheme: 'file' },
  { language: 'typescriptreact', scheme: 'file' },
];

export interface InlineValuesDependencies {
  readonly parser: SourceParser;
  readonly tracer: TraceLauncher;
  /** Turns a command argument (Testing view item, test id, failure) into a test; asks when there is none. */
  readonly resolve: (arg: unknown) => Promise<TracedTest | undefined>;
  /** Told whenever the trace on screen or its chosen call changes (the Ducktrace view's table). */
  readonly onDidShow: (shown: ShownTrace | undefined) => void;
  readonly log: vscode.LogOutputChannel;
}

export class InlineValues extends Disposable implements vscode.CodeLensProvider, vscode.HoverProvider {
  private readonly decorations: DocumentDecorations<'value' | 'quiet'>;
  private readonly lensesChanged = this.register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private state: State | undefined;
  private busy = false;
  private readonly parser: SourceParser;
  private readonly log: vscode.LogOutputChannel;

  constructor(private readonly deps: InlineValuesDependencies) {
    super();
    this.parser = deps.parser;
    this.log = deps.log;
    // The debugger's own inline-value colours: the same look as values shown while debugging.
    const after = { color: new vscode.ThemeColor('editor.inlineValuesForeground'), backgroundColor: new vscode.ThemeColor('editor.inlineValuesBackground'), margin: '0 0 0 1.5em' };
    this.decorations = this.register(
      new DocumentDecorations({ value: { after, rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed }, quiet: { after: { ...after, fontStyle: 'italic', backgroundColor: undefined } } }),
    );
    // An edit clears the values (they describe the old text), and with them the lens and the table.
    this.register(this.decorations.onDidClear(() => this.clear()));
    this.register(vscode.languages.registerCodeLensProvider(traceableLanguages, this));
    this.register(vscode.languages.registerHoverProvider(traceableLanguages, this));
    this.register(vscode.commands.registerCommand(CommandIds.traceFailingTest, (arg: unknown) => this.run(arg)));
    this.register(vscode.commands.registerCommand(CommandIds.clearTrace, () => this.clear()));
    this.register(vscode.commands.registerCommand(CommandIds.tracePreviousCall, () => this.step('call', -1)));
    this.register(vscode.commands.registerCommand(CommandIds.traceNextCall, () => this.step('call', 1)));
    this.register(vscode.commands.registerCommand(CommandIds.tracePreviousIteration, () => this.step('iteration', -1)));
    this.register(vscode.commands.registerCommand(CommandIds.traceNextIteration, () => this.step('iteration', 1)));
  }

  /** What is on screen now, as drawn (for tests and other commands). */
  get current(): ShownTrace | undefined {
    const s = this.state;
    if (!s) return undefined;
    return {
      test: s.test,
      target: s.target,
      blocks: s.blocks,
      trace: s.trace,
      selection: s.selection,
      calls: s.trace.calls.length,
      iterations: iterationCount(s.trace.calls[s.selection.call]),
      lines: valueLines(s),
    };
  }

  /** The command: resolve the test, then trace it. */
  async run(arg?: unknown): Promise<ShownTrace | undefined> {
    if (!vscode.workspace.isTrusted) {
      const manage = 'Manage Workspace Trust';
      void vscode.window.showWarningMessage('Ducktrace runs no tests or tracers in an untrusted workspace. Trust the workspace to trace a test.', manage).then((c) => {
        if (c === manage) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined;
    }
    const test = await this.deps.resolve(arg);
    if (!test) {
      if (arg !== undefined) void vscode.window.showInformationMessage('Ducktrace has no recorded failure for this test: run it first, or pick a failing test.');
      return undefined;
    }
    return this.traceTest(test);
  }

  /** Finds the function under test, reruns the test under the tracer and shows the first call. */
  async traceTest(test: TracedTest): Promise<ShownTrace | undefined> {
    if (!vscode.workspace.isTrusted) return undefined;
    if (this.busy) {
      void vscode.window.showInformationMessage('Ducktrace is already tracing a test.');
      return undefined;
    }
    this.busy = true;
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Ducktrace: tracing ${test.name}` },
        (progress) => this.traceWithProgress(test, progress),
      );
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.log.error(`Trace failing test: ${message}`);
      void vscode.window.showErrorMessage(`Ducktrace could not trace ${test.name}: ${message}`);
      return undefined;
    } finally {
      this.busy = false;
    }
  }

  private async traceWithProgress(test: TracedTest, progress: vscode.Progress<{ message?: string }>): Promise<ShownTrace | undefined> {
    progress.report({ message: 'finding the function' });
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const files = new NodeSourceFiles();
    const [target] = await new TargetFinder(files, this.parser, { roots }).find(test);
    if (!target) {
      void vscode.window.showWarningMessage(`Ducktrace found no function of this workspace for ${test.name}: the stack has no frame in your code and the test calls nothing it can resolve.`);
      return undefined;
    }
    // The tracer runs the file on disk: unsaved edits would make the values lie about the text.
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === target.file);
    if (open?.isDirty) {
      const save = 'Save and Trace';
      const choice = await vscode.window.showWarningMessage(`${path.basename(target.file)} has unsaved changes; the trace runs the saved file.`, save);
      if (choice !== save || !(await open.save())) return undefined;
    }
    const text = await files.read(target.file);
    if (text === undefined) throw new Error(`cannot read ${target.file}`);
    const { blocks } = await blocksOfFunction(text, target.language, this.parser, { name: target.functionName });
    progress.report({ message: `running ${test.name} with ${target.functionName} traced` });
    const { run } = await this.deps.tracer.trace(test, target);
    const { trace } = run;
    if (trace.calls.length === 0) {
      void vscode.window.showWarningMessage(`${test.name} never called ${target.functionName}${run.timedOut ? ' before the time limit' : ''}: there are no values to show.`);
      return undefined;
    }
    const uri = vscode.Uri.file(target.file);
    this.state = { uri: uri.toString(), test, target, blocks, trace, selection: initialSelection(trace) };
    const line = target.range.start.line - 1;
    await vscode.window.showTextDocument(uri, { preview: false, selection: new vscode.Range(line, 0, line, 0) });
    this.changed();
    return this.current;
  }

  /** Moves to the previous or next call or iteration (clamped at the ends). */
  step(what: 'call' | 'iteration', delta: number): ShownTrace | undefined {
    if (!this.state) return undefined;
    this.state.selection = stepSelection(this.state.trace, this.state.selection, what, delta);
    this.changed();
    return this.current;
  }

  clear(): void {
    if (!this.state) return;
    this.state = undefined;
    this.changed();
  }

  private changed(): void {
    void vscode.commands.executeCommand('setContext', 'ducktrace.traceVisible', this.state !== undefined);
    this.paint();
    this.lensesChanged.fire();
    this.deps.onDidShow(this.current);
  }

  private paint(): void {
    const s = this.state;
    if (!s) return this.decorations.clear();
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === s.uri);
    const value: vscode.DecorationOptions[] = [];
    const quiet: vscode.DecorationOptions[] = [];
    for (const v of valueLines(s)) {
      if (doc && v.line - 1 >= doc.lineCount) continue;
      // Far to the right: the editor clamps the column to the line's end.
      const end = new vscode.Position(v.line - 1, 100_000);
      (v.ran && v.text !== noChange ? value : quiet).push({ range: new vscode.Range(end, end), renderOptions: { after: { contentText: `▸ ${v.text}` } } });
    }
    this.decorations.show(vscode.Uri.parse(s.uri), { value, quiet });
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const s = this.state;
    if (!s || document.uri.toString() !== s.uri) return [];
    const line = s.target.range.start.line - 1;
    if (line >= document.lineCount) return [];
    const range = new vscode.Range(line, 0, line, 0);
    const calls = s.trace.calls.length;
    const call = s.trace.calls[s.selection.call]!;
    const iterations = iterationCount(call);
    const lens = (title: string, command = '', tooltip?: string) => new vscode.CodeLens(range, { title, command, tooltip });
    const lenses = [lens(`$(debug-alt-small) Call ${s.selection.call + 1} of ${calls}: ${callSummary(s.target.functionName, call)}`, '', `Values recorded while ${s.test.name} ran`)];
    if (calls > 1) lenses.push(lens('◀', CommandIds.tracePreviousCall, 'Previous call'), lens('▶', CommandIds.traceNextCall, 'Next call'));
    if (iterations > 1) {
      lenses.push(lens(`Iteration ${s.selection.iteration} of ${iterations}`), lens('◀', CommandIds.tracePreviousIteration, 'Previous iteration'), lens('▶', CommandIds.traceNextIteration, 'Next iteration'));
    }
    lenses.push(lens('Clear', CommandIds.clearTrace, 'Clear the traced values'));
    return lenses;
  }

  /** The full rendering, on a block's last line (where its values are drawn). */
  provideHover(document: vscode.TextDocument, position: vscode.Position): vscode.Hover | undefined {
    const s = this.state;
    if (!s || document.uri.toString() !== s.uri) return undefined;
    const steps = stepsForSelection(s.trace, s.selection);
    const block = [...s.blocks].reverse().find((b) => b.range.end.line - 1 === position.line && steps.has(b.id));
    if (!block) return undefined;
    const md = new vscode.MarkdownString(hoverMarkdown(s.trace, s.selection, steps.get(block.id)!));
    return new vscode.Hover(md, document.lineAt(position.line).range);
  }
}

/** The text after each block's last line for the selected call and iteration. */
function valueLines(s: State): InlineValueLine[] {
  const steps = stepsForSelection(s.trace, s.selection);
  const call = s.trace.calls[s.selection.call];
  const notRun = new Set(blocksNotRun(s.trace, s.selection, s.blocks.map((b) => b.id)));
  const lines: InlineValueLine[] = [];
  for (const block of s.blocks) {
    const step = steps.get(block.id);
    if (step) lines.push({ blockId: block.id, line: block.range.end.line, text: inlineText(step.vars, { changedOnly: true }, call && varsBefore(call, step)) || noChange, ran: true });
    else if (notRun.has(block.id)) lines.push({ blockId: block.id, line: block.range.end.line, text: 'not run in this call', ran: false });
  }
  return lines;
}

const noChange = 'no change';
