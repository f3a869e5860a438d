// The "Ducktrace" test controller: discovers the tests of every workspace folder with each
// framework's own collection (or by reading JS test files), runs them through the host adapters,
// and reports each result on its item, failures with message, expected/actual, location and stack.
import * as vscode from 'vscode';
import { testIdOf, type DiscoveredTest, type Framework, type TestCaseResult, type TestFailure, type TestRunReport } from '../../core/failures/testFailure';
import type { RunSelection } from '../../host/runners/adapter';
import { findTestProjects, type TestProject } from '../../host/runners/projects';
import { adapters, contextFor, runProject, withTempDir, type RunOptions } from '../../host/runners/testService';
import { Disposable } from '../disposable';
import { testSettings } from '../settings';
import type { FailureStore } from './failureStore';
import { pythonInterpreter } from './pythonInterpreter';

type Meta =
  | { kind: 'project'; project: TestProject }
  | { kind: 'file'; project: TestProject; file: string }
  | { kind: 'suite'; project: TestProject; file: string; suitePath: string[] }
  | { kind: 'test'; project: TestProject; test: Pick<DiscoveredTest, 'file' | 'suitePath' | 'name' | 'nodeId'> };

const frameworkLabels: Record<Framework, string> = { pytest: 'pytest', node: 'node --test', jest: 'jest', vitest: 'vitest' };
export const failureMessageContext = 'ducktraceFailure';

export class DucktraceTestController extends Disposable {
  readonly controller = this.register(vscode.tests.createTestController('ducktrace', 'Ducktrace'));
  private readonly meta = new WeakMap<vscode.TestItem, Meta>();
  private refreshing: Promise<void> | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly refreshed = new vscode.EventEmitter<void>();
  /** Fires after each discovery (integration tests wait on it). */
  readonly onDidRefresh = this.refreshed.event;
  private readonly ran = new vscode.EventEmitter<TestRunReport>();
  /** Fires after each project's run with its report. */
  readonly onDidRun = this.ran.event;
  /** The last state reported per item id, with its message (VS Code lets no one read results back). */
  readonly outcomes = new Map<string, { state: 'passed' | 'failed' | 'errored' | 'skipped'; message?: vscode.TestMessage }>();

  constructor(
    private readonly helpersDir: string,
    private readonly store: FailureStore,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.register(this.refreshed);
    this.register(this.ran);
    this.controller.resolveHandler = async (item) => {
      if (!item) await this.refresh();
    };
    this.controller.refreshHandler = () => this.refresh();
    this.register(this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (request, token) => this.run(request, token), true));
    const watcher = this.register(vscode.workspace.createFileSystemWatcher('**/{test_*.py,*_test.py,conftest.py,pytest.ini,pyproject.toml,package.json,*.{test,spec}.{js,mjs,cjs,ts,mts,cts,jsx,tsx}}'));
    for (const event of [watcher.onDidCreate, watcher.onDidChange, watcher.onDidDelete]) this.register(event(() => this.scheduleRefresh()));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh()));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRefresh()));
    this.register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('ducktrace.tests') && this.scheduleRefresh()));
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 500);
  }

  /** Rediscovers every workspace folder's tests. Concurrent calls share one discovery. */
  refresh(): Promise<void> {
    this.refreshing ??= this.discoverAll().finally(() => {
      this.refreshing = undefined;
      this.refreshed.fire();
    });
    return this.refreshing;
  }

  private async discoverAll(): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      this.log.info('Workspace not trusted: Ducktrace discovers and runs no tests.');
      // Say why in the Testing view itself, not only in the log.
      const notice = this.controller.createTestItem('ducktrace-untrusted', 'Ducktrace runs no tests in an untrusted workspace');
      notice.error = 'Trust this workspace (Workspaces: Manage Workspace Trust) to let Ducktrace discover and run its tests.';
      this.controller.items.replace([notice]);
      return;
    }
    const roots: vscode.TestItem[] = [];
    const folders = vscode.workspace.workspaceFolders ?? [];
    for (const folder of folders) {
      const settings = testSettings(folder.uri);
      let projects: TestProject[] = [];
      try {
        projects = await findTestProjects(folder.uri.fsPath, settings.framework);
      } catch (err) {
        this.log.error(`Could not look for tests in ${folder.uri.fsPath}: ${String(err)}`);
      }
      if (projects.length === 0) this.log.info(`No test framework found in ${folder.uri.fsPath} (pytest, node --test, jest, vitest); the setting ducktrace.tests.framework can choose one.`);
      for (const project of projects) roots.push(await this.discoverProject(folder, project, folders.length > 1));
    }
    this.controller.items.replace(roots);
    // Failures of tests that discovery no longer finds (deleted files, renamed tests) are stale.
    const known = new Set<string>();
    for (const root of roots) for (const leaf of this.leaves(root)) known.add(leaf.id.slice(leaf.id.indexOf('|') + 1));
    this.store.retain(known);
  }

  private async discoverProject(folder: vscode.WorkspaceFolder, project: TestProject, manyFolders: boolean): Promise<vscode.TestItem> {
    const rel = vscode.workspace.asRelativePath(project.root, manyFolders);
    const label = `${frameworkLabels[project.framework]}${rel && rel !== project.root ? ` · ${rel}` : ` · ${folder.name}`}`;
    const item = this.controller.createTestItem(`project|${project.framework}|${project.root}`, label, vscode.Uri.file(project.root));
    this.meta.set(item, { kind: 'project', project });
    const options = await this.runOptions(vscode.Uri.file(project.root));
    try {
      const discovery = await withTempDir((dir) => adapters[project.framework].discover(contextFor(project, options, dir), project.framework === 'pytest' ? [] : project.testFiles));
      for (const t of discovery.tests) this.ensureTestItem(item, project, t);
      if (discovery.problems.length) {
        item.error = new vscode.MarkdownString(discovery.problems.map((p) => p.replace(/\n/g, '  \n')).join('\n\n'));
        this.log.warn(`${label}: ${discovery.problems.join('\n')}`);
      }
      this.log.info(`Discovered ${discovery.tests.length} ${project.framework} tests in ${project.root}`);
    } catch (err) {
      item.error = `Discovery failed: ${String(err)}`;
      this.log.error(`${label}: discovery failed: ${String(err)}`);
    }
    return item;
  }

  private async runOptions(scope: vscode.Uri, extra: Partial<RunOptions> = {}): Promise<RunOptions> {
    const settings = testSettings(scope);
    return { helpersDir: this.helpersDir, python: await pythonInterpreter(scope), testTimeoutMs: settings.testTimeoutMs, ...extra };
  }

  private child(parent: vscode.TestItem, id: string, label: string, uri: vscode.Uri | undefined, meta: Meta): vscode.TestItem {
    let item = parent.children.get(id);
    if (!item) {
      item = this.controller.createTestItem(id, label, uri);
      parent.children.add(item);
    }
    this.meta.set(item, meta);
    return item;
  }

  /** The item of a test under its project, creating its file and suite items as needed. */
  private ensureTestItem(projectItem: vscode.TestItem, project: TestProject, t: Pick<DiscoveredTest, 'file' | 'suitePath' | 'name' | 'nodeId' | 'line'> & { fileLevel?: boolean }): vscode.TestItem {
    const uri = vscode.Uri.file(t.file);
    const fileItem = this.child(projectItem, `${project.framework}|${t.file}`, vscode.workspace.asRelativePath(uri, false), uri, { kind: 'file', project, file: t.file });
    if (t.fileLevel) return fileItem;
    let parent = fileItem;
    const path: string[] = [];
    for (const suite of t.suitePath) {
      path.push(suite);
      parent = this.child(parent, `${project.framework}|${testIdOf(t.file, path.slice(0, -1), suite)}`, suite, uri, { kind: 'suite', project, file: t.file, suitePath: [...path] });
    }
    const item = this.child(parent, `${project.framework}|${testIdOf(t.file, t.suitePath, t.name)}`, t.name, uri, { kind: 'test', project, test: t });
    if (t.line) item.range = new vscode.Range(t.line - 1, 0, t.line - 1, 0);
    if (parent.range === undefined && parent !== fileItem && t.line) parent.range = new vscode.Range(t.line - 1, 0, t.line - 1, 0);
    return item;
  }

  private leaves(item: vscode.TestItem, out: vscode.TestItem[] = []): vscode.TestItem[] {
    if (item.children.size === 0) out.push(item);
    else item.children.forEach((c) => this.leaves(c, out));
    return out;
  }

  private projectItemOf(item: vscode.TestItem): vscode.TestItem {
    let p = item;
    while (p.parent) p = p.parent;
    return p;
  }

  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Ducktrace runs no tests in an untrusted workspace.');
      return;
    }
    if (this.controller.items.size === 0) await this.refresh();
    const requested: vscode.TestItem[] = [];
    if (request.include) requested.push(...request.include);
    else this.controller.items.forEach((i) => requested.push(i));
    const excluded = new Set(request.exclude ?? []);
    const groups = new Map<vscode.TestItem, { selection: { files: Set<string>; tests: Meta[]; all: boolean }; items: vscode.TestItem[] }>();
    for (const item of requested) {
      if (excluded.has(item)) continue;
      const projectItem = this.projectItemOf(item);
      const group = groups.get(projectItem) ?? { selection: { files: new Set<string>(), tests: [], all: false }, items: [] };
      groups.set(projectItem, group);
      const meta = this.meta.get(item);
      group.items.push(item);
      if (!meta || meta.kind === 'project') group.selection.all = true;
      else if (meta.kind === 'file') group.selection.files.add(meta.file);
      else for (const leaf of this.leaves(item)) if (!excluded.has(leaf)) group.selection.tests.push(this.meta.get(leaf)!);
    }
    const run = this.controller.createTestRun(request);
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      for (const [projectItem, group] of groups) {
        if (abort.signal.aborted) break;
        const project = (this.meta.get(projectItem) as { project: TestProject }).project;
        for (const item of group.items) for (const leaf of this.leaves(item)) run.started(leaf);
        const selection: RunSelection = group.selection.all
          ? {}
          : { files: [...group.selection.files], tests: group.selection.tests.flatMap((m) => (m.kind === 'test' ? [m.test] : [])) };
        const mixed = !group.selection.all && group.selection.files.size > 0 && (selection.tests?.length ?? 0) > 0;
        const options = await this.runOptions(vscode.Uri.file(project.root), { signal: abort.signal, onOutput: (t) => run.appendOutput(t) });
        // Files and single tests together: run the files whole (a superset, reported as it ran).
        const report = await runProject(project, options, mixed ? { files: [...group.selection.files, ...(selection.tests ?? []).map((t) => t.file)] } : selection);
        this.applyReport(run, projectItem, project, report);
        this.ran.fire(report);
        if (report.cancelled) break;
      }
    } catch (err) {
      run.appendOutput(`\r\nDucktrace could not run the tests: ${String(err)}\r\n`);
      this.log.error(`Test run failed: ${String(err)}`);
    } finally {
      cancel.dispose();
      run.end();
    }
  }

  private applyReport(run: vscode.TestRun, projectItem: vscode.TestItem, project: TestProject, report: TestRunReport): void {
    for (const problem of report.problems) {
      run.appendOutput(`\r\n${problem.replace(/\r?\n/g, '\r\n')}\r\n`);
      this.log.warn(`${project.framework} in ${project.root}: ${problem}`);
      void vscode.window.showWarningMessage(`Ducktrace (${frameworkLabels[project.framework]}): ${problem.split('\n')[0]}`);
    }
    if (report.cancelled) run.appendOutput('\r\nRun cancelled; Ducktrace stopped the test process.\r\n');
    for (const result of report.results) {
      const item = this.ensureTestItem(projectItem, project, { ...result, ...(result.fileLevel ? { fileLevel: true } : {}) });
      this.report(run, item, result);
    }
    this.store.update(report.results);
    this.log.info(`${project.framework} in ${project.root}: ${report.results.length} results, ${report.results.filter((r) => r.failure).length} failed`);
  }

  private report(run: vscode.TestRun, item: vscode.TestItem, result: TestCaseResult): void {
    if (result.output && !result.failure) run.appendOutput(result.output.replace(/\r?\n/g, '\r\n') + '\r\n', undefined, item);
    if (result.outcome === 'passed') {
      run.passed(item, result.durationMs);
      this.outcomes.set(item.id, { state: 'passed' });
    } else if (result.outcome === 'skipped') {
      run.skipped(item);
      this.outcomes.set(item.id, { state: 'skipped' });
    } else if (result.failure) {
      const message = toTestMessage(result.failure);
      if (result.fileLevel) run.errored(item, message, result.durationMs);
      else run.failed(item, message, result.durationMs);
      this.outcomes.set(item.id, { state: result.fileLevel ? 'errored' : 'failed', message });
    }
  }

  /** The item of a test id (as in a TestFailure), if discovered or run. */
  itemFor(testId: string): vscode.TestItem | undefined {
    let found: vscode.TestItem | undefined;
    const visit = (item: vscode.TestItem) => {
      if (found) return;
      if (item.id.endsWith(`|${testId}`)) found = item;
      item.children.forEach(visit);
    };
    this.controller.items.forEach(visit);
    return found;
  }

  /** Shows failures that came from elsewhere (the terminal) as a run of their own. */
  reportExternal(results: readonly TestCaseResult[], name: string): void {
    const run = this.controller.createTestRun(new vscode.TestRunRequest(), name, false);
    const roots: vscode.TestItem[] = [];
    this.controller.items.forEach((i) => roots.push(i));
    for (const result of results) {
      const projectItem = roots.find((r) => {
        const m = this.meta.get(r);
        return m?.kind === 'project' && m.project.framework === result.framework && result.file.startsWith(m.project.root);
      });
      const item = projectItem ? this.ensureTestItem(projectItem, (this.meta.get(projectItem) as { project: TestProject }).project, result) : undefined;
      if (item) this.report(run, item, result);
    }
    this.store.update(results);
    run.end();
  }
}

export function toTestMessage(failure: TestFailure): vscode.TestMessage {
  const message =
    failure.expected !== undefined && failure.actual !== undefined
      ? vscode.TestMessage.diff(failure.message, failure.expected, failure.actual)
      : new vscode.TestMessage(failure.message);
  const inTest = failure.stack.find((f) => f.file === failure.file);
  const where = inTest ?? failure.stack[0];
  if (where) message.location = new vscode.Location(vscode.Uri.file(where.file), new vscode.Position(Math.max(0, where.line - 1), Math.max(0, (where.column ?? 1) - 1)));
  else if (failure.line) message.location = new vscode.Location(vscode.Uri.file(failure.file), new vscode.Position(failure.line - 1, 0));
  message.stackTrace = failure.stack.map((f) => new vscode.TestMessageStackFrame(f.function ?? '<module>', vscode.Uri.file(f.file), new vscode.Position(Math.max(0, f.line - 1), Math.max(0, (f.column ?? 1) - 1))));
  message.contextValue = failureMessageContext;
  return message;
}
