// `ducktrace.explainAndFix`: every entry point (Testing view item and peek message, CodeLens,
// Quick Fix, command palette) lands here with the failure, which goes to the explain pipeline
// (target, blocks, trace, the model's verdicts, the fix as an inline proposal).
import * as vscode from 'vscode';
import type { Target } from '../../core/blocks/targetFinder';
import type { ExplanationState } from '../../core/explanationState';
import type { Frame, TestFailure } from '../../core/failures/testFailure';
import type { ExplainController } from '../explain/explainController';
import type { FailureStore } from './failureStore';

/** What the Quick Fix passes: an error diagnostic's place. */
export interface DiagnosticArgument {
  readonly uri: string;
  readonly line: number;
  readonly message: string;
}

export interface ExplainResult {
  readonly failure: TestFailure;
  /** The stack's frames that are files of the open workspace, innermost first. */
  readonly workspaceFrames: Frame[];
  readonly target?: Target;
  /** Where the explain pipeline ended (proposed, error, cancelled, ...). */
  readonly state: ExplanationState;
}

function inWorkspace(file: string): boolean {
  return (vscode.workspace.workspaceFolders ?? []).some((f) => file === f.uri.fsPath || file.startsWith(f.uri.fsPath.endsWith('/') ? f.uri.fsPath : `${f.uri.fsPath}/`));
}

function testIdOfItemId(id: string): string {
  return id.slice(id.indexOf('|') + 1);
}

export class ExplainAndFix {
  constructor(
    private readonly store: FailureStore,
    private readonly explain: ExplainController,
    /** Reruns one test (by its id) after its fix is settled. */
    private readonly rerun: (testId: string) => Promise<void>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Turns whatever the entry point passed into a failure; asks when nothing was passed. */
  async resolve(arg: unknown, placeHolder = 'Which failing test should Ducktrace explain and fix?'): Promise<TestFailure | undefined> {
    if (typeof arg === 'string') return this.store.get(arg) ?? this.store.get(testIdOfItemId(arg));
    if (arg && typeof arg === 'object') {
      const o = arg as Record<string, unknown>;
      if (typeof o.testId === 'string' && Array.isArray(o.stack)) return o as unknown as TestFailure;
      if (o.test && typeof o.test === 'object' && typeof (o.test as vscode.TestItem).id === 'string') return this.store.get(testIdOfItemId((o.test as vscode.TestItem).id));
      if (typeof o.id === 'string' && 'children' in o) return this.store.get(testIdOfItemId(o.id));
      if (typeof o.uri === 'string' && typeof o.line === 'number') return this.fromDiagnostic(o as unknown as DiagnosticArgument);
    }
    return this.pick(placeHolder);
  }

  /** A failure for an error diagnostic: a known failure through that line, else the diagnostic itself. */
  private fromDiagnostic(d: DiagnosticArgument): TestFailure {
    const file = vscode.Uri.parse(d.uri).fsPath;
    const known = this.store.all().find((f) => f.stack.some((s) => s.file === file && s.line === d.line) || (f.file === file && f.line === d.line));
    if (known) return known;
    return { testId: `${file}::diagnostic:${d.line}`, framework: 'pytest', file, line: d.line, name: `${vscode.workspace.asRelativePath(file)}:${d.line}`, message: d.message, stack: [{ file, line: d.line }], output: '' };
  }

  private async pick(placeHolder: string): Promise<TestFailure | undefined> {
    const failures = this.store.all();
    if (failures.length === 0) {
      void vscode.window.showInformationMessage('Ducktrace knows no failing test yet. Run your tests from the Testing view (or in the terminal) first.');
      return undefined;
    }
    const editor = vscode.window.activeTextEditor;
    const here = editor?.document.uri.fsPath;
    const line = (editor?.selection.active.line ?? -1) + 1;
    const score = (f: TestFailure) => (f.file === here ? (Math.abs(f.line - line) < 1e6 ? 1e6 - Math.abs(f.line - line) : 1) : f.stack.some((s) => s.file === here) ? 1 : 0);
    const sorted = [...failures].sort((a, b) => score(b) - score(a));
    const picked = await vscode.window.showQuickPick(
      sorted.map((f) => ({ label: f.name, description: `${vscode.workspace.asRelativePath(f.file)}:${f.line}`, detail: f.message.split('\n')[0], failure: f })),
      { placeHolder },
    );
    return picked?.failure;
  }

  async run(arg: unknown): Promise<ExplainResult | undefined> {
    const failure = await this.resolve(arg);
    if (!failure) return undefined;
    const workspaceFrames = failure.stack.filter((f) => inWorkspace(f.file));
    this.logFailure(failure, workspaceFrames);
    const state = await this.explain.run({
      testId: failure.testId,
      name: failure.name,
      file: failure.file,
      line: failure.line,
      message: failure.message,
      expected: failure.expected,
      actual: failure.actual,
      output: failure.output,
      stack: workspaceFrames,
      rerun: failure.testId.includes('::diagnostic:') ? undefined : () => this.rerun(failure.testId),
    });
    const target = this.explain.lastTarget;
    return { failure, workspaceFrames, state, ...(target ? { target } : {}) };
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
