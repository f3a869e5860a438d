// `ducktrace.explainAndFix`: every entry point (Testing view item and peek message, CodeLens,
// Quick Fix, command palette, the terminal's notification) lands here with the failure, which goes
// to the explain pipeline (target, blocks, trace, the model's verdicts, the fix as an inline
// proposal, the rerun once it is settled).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { blocksOfFunction } from '../../core/blocks/functionBlocks';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { Target } from '../../core/blocks/targetFinder';
import type { ExplanationState, RerunView } from '../../core/view/explanationState';
import type { Frame, TestFailure } from '../../core/failures/testFailure';
import { sourceLanguageOf } from '../blocks/blocksView';
import type { ExplainController, ExplainInput } from '../explain/explainController';
import type { FailureStore } from './failureStore';

/** What the Quick Fix passes: an error diagnostic's place. */
export interface DiagnosticArgument {
  readonly uri: string;
  /** 1-based. */
  readonly line: number;
  readonly message: string;
  readonly source?: string;
  /** The function the error is in (the Quick Fix found it), 1-based lines. */
  readonly function?: { readonly name: string; readonly startLine: number; readonly endLine: number };
}

export interface ExplainResult {
  readonly failure?: TestFailure;
  /** The stack's frames that are files of the open workspace, innermost first. */
  readonly workspaceFrames: Frame[];
  readonly target?: Target;
  /** Where the explain pipeline ended (proposed, error, cancelled, ...). */
  readonly state: ExplanationState;
}

function inWorkspace(file: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((f) => file === f.uri.fsPath || file.startsWith(f.uri.fsPath.endsWith(path.sep) ? f.uri.fsPath : `${f.uri.fsPath}${path.sep}`));
}

function testIdOfItemId(id: string): string {
  return id.slice(id.indexOf('|') + 1);
}

function isDiagnosticArgument(o: Record<string, unknown>): boolean {
  return typeof o.uri === 'string' && typeof o.line === 'number' && typeof o.message === 'string';
}

export class ExplainAndFix {
  constructor(
    private readonly store: FailureStore,
    private readonly explain: ExplainController,
    /** Reruns one test (by its id) after its fix is settled and says how it went. */
    private readonly rerun: (testId: string) => Promise<RerunView>,
    private readonly parser: SourceParser,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /**
   * Turns whatever the entry point passed into a failure. With nothing passed: the failing test
   * the cursor is in, the only failing test, or else the user picks one.
   */
  async resolve(arg: unknown, placeHolder = 'Which failing test should Ducktrace explain and fix?'): Promise<TestFailure | undefined> {
    if (typeof arg === 'string') return this.store.get(arg) ?? this.store.get(testIdOfItemId(arg));
    if (arg && typeof arg === 'object') {
      const o = arg as Record<string, unknown>;
      if (typeof o.testId === 'string' && Array.isArray(o.stack)) return o as unknown as TestFailure;
      if (o.test && typeof o.test === 'object' && typeof (o.test as vscode.TestItem).id === 'string') return this.store.get(testIdOfItemId((o.test as vscode.TestItem).id));
      if (typeof o.id === 'string' && 'children' in o) return this.store.get(testIdOfItemId(o.id));
      if (isDiagnosticArgument(o)) return this.failingTestAt(o as unknown as DiagnosticArgument);
    }
    return this.pick(placeHolder);
  }

  /**
   * A known failing test that fails at this diagnostic's place: a stack frame on its line, or
   * passing through the function it is in.
   */
  failingTestAt(d: DiagnosticArgument): TestFailure | undefined {
    const file = vscode.Uri.parse(d.uri).fsPath;
    const fn = d.function;
    const at = (f: Frame) => f.file === file && (f.line === d.line || (!!fn && fn.startLine <= f.line && f.line <= fn.endLine));
    const all = this.store.all();
    return all.find((f) => f.stack.some((s) => s.file === file && s.line === d.line)) ?? all.find((f) => f.stack.some(at));
  }

  private async pick(placeHolder: string): Promise<TestFailure | undefined> {
    const failures = this.store.all();
    if (failures.length === 0) {
      void vscode.window.showInformationMessage('Ducktrace knows no failing test yet. Run your tests from the Testing view (or in the terminal) first.');
      return undefined;
    }
    if (failures.length === 1) return failures[0];
    const here = await this.failureAtCursor(failures);
    if (here) return here;
    const editor = vscode.window.activeTextEditor;
    const file = editor?.document.uri.fsPath;
    const line = (editor?.selection.active.line ?? -1) + 1;
    const score = (f: TestFailure) => (f.file === file ? 1e6 - Math.min(Math.abs(f.line - line), 1e6 - 1) : f.stack.some((s) => s.file === file) ? 1 : 0);
    const sorted = [...failures].sort((a, b) => score(b) - score(a));
    const picked = await vscode.window.showQuickPick(
      sorted.map((f) => ({ label: f.name, description: `${vscode.workspace.asRelativePath(f.file)}:${f.line}`, detail: f.message.split('\n')[0], failure: f })),
      { placeHolder },
    );
    return picked?.failure;
  }

  /** The failing test whose function holds the cursor (its line, or its assertion inside it). */
  private async failureAtCursor(failures: readonly TestFailure[]): Promise<TestFailure | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return undefined;
    const file = editor.document.uri.fsPath;
    const inFile = failures.filter((f) => f.file === file);
    if (!inFile.length) return undefined;
    const language = sourceLanguageOf(editor.document);
    if (!language) return undefined;
    const line = editor.selection.active.line + 1;
    let range: { start: number; end: number };
    try {
      // The named function at the cursor: a test function, or a test method of a class.
      const { function: fn } = await blocksOfFunction(editor.document.getText(), language, this.parser, { line });
      range = { start: fn.range.start.line, end: fn.range.end.line };
    } catch {
      return undefined;
    }
    const inside = (n: number) => range.start <= n && n <= range.end;
    const matches = inFile.filter((f) => inside(f.line) || f.stack.some((s) => s.file === file && inside(s.line)));
    return matches.length === 1 ? matches[0] : undefined;
  }

  async run(arg: unknown): Promise<ExplainResult | undefined> {
    const diagnostic = arg && typeof arg === 'object' && isDiagnosticArgument(arg as Record<string, unknown>) ? (arg as DiagnosticArgument) : undefined;
    const failure = await this.resolve(arg);
    if (!failure) {
      if (diagnostic) return this.fromDiagnostic(diagnostic);
      return undefined;
    }
    const workspaceFrames = failure.stack.filter((f) => inWorkspace(f.file));
    this.logFailure(failure, workspaceFrames);
    const state = await this.explain.run({
      testId: failure.testId,
      framework: failure.framework,
      name: failure.name,
      file: failure.file,
      line: failure.line,
      message: failure.message,
      expected: failure.expected,
      actual: failure.actual,
      output: failure.output,
      stack: workspaceFrames,
      rerun: () => this.rerun(failure.testId),
    });
    const target = this.explain.lastTarget;
    return { failure, workspaceFrames, state, ...(target ? { target } : {}) };
  }

  /** No test reaches the error: explain and fix from the function, its blocks and the diagnostic. */
  private async fromDiagnostic(d: DiagnosticArgument): Promise<ExplainResult> {
    const file = vscode.Uri.parse(d.uri).fsPath;
    this.log.info(`Explain and fix: the error at ${vscode.workspace.asRelativePath(file)}:${d.line} (${d.message}); no failing test reaches it, so it is explained without runtime values.`);
    const input: ExplainInput = {
      name: `${vscode.workspace.asRelativePath(file)}:${d.line}${d.function ? ` in ${d.function.name}` : ''}`,
      stack: [{ file, line: d.line, ...(d.function ? { function: d.function.name } : {}) }],
      diagnostic: { message: d.message, line: d.line, ...(d.source ? { source: d.source } : {}) },
    };
    const state = await this.explain.run(input);
    const target = this.explain.lastTarget;
    return { workspaceFrames: [{ file, line: d.line }], state, ...(target ? { target } : {}) };
  }

  private logFailure(f: TestFailure, frames: readonly Frame[]): void {
    const lines = [
      `Explain and fix: ${f.name} (${f.framework}, ${f.file}:${f.line})`,
      `  message: ${f.message.split('\n').join('\n           ')}`,
      ...(f.expected !== undefined ? [`  expected: ${f.expected}`, `  actual:   ${f.actual ?? ''}`] : []),
      '  stack (innermost first, workspace files):',
      ...frames.map((fr) => `    at ${fr.function ?? '<module>'} (${fr.file}:${fr.line}${fr.column ? `:${fr.column}` : ''})`),
    ];
    this.log.info(lines.join('\n'));
  }
}
