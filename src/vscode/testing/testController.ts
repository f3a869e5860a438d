// The "Ducktrace" test controller: discovers the tests of every workspace folder with each
// framework's own collection (or by reading JS test files), then file by file as test files are
// opened, saved, created or deleted; runs them through the host adapters, or under the debugger
// (Debug profile); and reports each result on its item, failures with message, expected/actual,
// location and stack. Items are found by test id in a map, not by walking the tree.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isConventionalTestFile } from '../../core/blocks/targetFinder';
import { testIdOf, type DiscoveredTest, type Framework, type TestCaseResult, type TestRunReport } from '../../core/failures/testFailure';
import type { KnownTest } from '../../core/failures/terminalRecords';
import type { RunSelection } from '../../host/runners/adapter';
import { findTestProjects, type TestProject } from '../../host/runners/projects';
import { adapters, contextFor, runProject, withTempDir, type RunOptions } from '../../host/runners/testService';
import { Disposable } from '../disposable';
import { testSettings } from '../settings';
import type { FailureStore } from './failureStore';
import { pythonInterpreter } from './pythonInterpreter';
import { debugTests } from './testDebugging';
import { toTestMessage } from './testMessage';

/** Files whose change can change which projects and frameworks there are: a full rediscovery. */
const projectFiles = /(^|[\\/])(pytest\.ini|conftest\.py|pyproject\.toml|setup\.cfg|tox\.ini|package\.json|(jest|vitest|vite)\.config\.[cm]?[jt]s)$/;

export interface TestGroup {
  readonly project: TestProject;
  readonly selection: { files: Set<string>; tests: Meta[]; all: boolean };
  /** The requested items of this project. */
  readonly items: vscode.TestItem[];
  /** Their test items (leaves), without the excluded ones. */
  readonly leaves: vscode.TestItem[];
}

type Meta =
  | { kind: 'project'; project: TestProject }
  | { kind: 'file'; project: TestProject; file: string }
  | { kind: 'suite'; project: TestProject; file: string; suitePath: string[] }
  | { kind: 'test'; project: TestProject; test: Pick<DiscoveredTest, 'file' | 'suitePath' | 'name' | 'nodeId'> };

const frameworkLabels: Record<Framework, string> = { pytest: 'pytest', node: 'node --test', jest: 'jest', vitest: 'vitest', mocha: 'mocha' };

export class DucktraceTestController extends Disposable {
  readonly controller = this.register(vscode.tests.createTestController('ducktrace', 'Ducktrace'));
  private readonly meta = new WeakMap<vscode.TestItem, Meta>();
  /** Every file, suite and test item by its test id (the item id without the framework prefix). */
  private readonly byTestId = new Map<string, vscode.TestItem>();
  private readonly fileTimers = new Map<string, NodeJS.Timeout>();
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
    readonly helpersDir: string,
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
    this.register(this.controller.createRunProfile('Debug', vscode.TestRunProfileKind.Debug, (request, token) => this.debug(request, token), true));
    // File by file as the user works (no file watcher over the workspace): a test file's tests are
    // rediscovered when it is opened or saved; project files rediscover everything.
    this.register(vscode.workspace.onDidOpenTextDocument((d) => this.fileTouched(d.uri)));
    this.register(vscode.workspace.onDidSaveTextDocument((d) => this.fileTouched(d.uri)));
    this.register(vscode.workspace.onDidCreateFiles((e) => e.files.forEach((f) => this.fileTouched(f))));
    this.register(vscode.workspace.onDidDeleteFiles((e) => e.files.forEach((f) => this.fileGone(f))));
    this.register(vscode.workspace.onDidRenameFiles((e) => e.files.forEach((f) => (this.fileGone(f.oldUri), this.fileTouched(f.newUri)))));
    this.register(vscode.workspace.onDidChangeWorkspaceFolders(() => this.scheduleRefresh()));
    this.register(vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRefresh()));
    this.register(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('ducktrace.tests') && this.scheduleRefresh()));
  }

  private fileTouched(uri: vscode.Uri): void {
    if (uri.scheme !== 'file' || !vscode.workspace.getWorkspaceFolder(uri) || /[\\/]node_modules[\\/]/.test(uri.fsPath)) return;
    if (projectFiles.test(uri.fsPath)) return this.scheduleRefresh();
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    if (!isConventionalTestFile(uri.fsPath, roots) || !/\.([cm]?[jt]sx?|py)$/.test(uri.fsPath)) return;
    const file = uri.fsPath;
    clearTimeout(this.fileTimers.get(file));
    this.fileTimers.set(
      file,
      setTimeout(() => {
        this.fileTimers.delete(file);
        void this.discoverFile(file).catch((err: unknown) => this.log.warn(`Discovering the tests of ${file} failed: ${String(err)}`));
      }, 300),
    );
  }

  /** A test file (or a folder of them) is gone: its items go too. */
  private fileGone(uri: vscode.Uri): void {
    const gone = uri.fsPath;
    const under = (file: string) => file === gone || file.startsWith(gone + path.sep);
    this.controller.items.forEach((project) => {
      project.children.forEach((fileItem) => {
        const meta = this.meta.get(fileItem);
        if (meta?.kind === 'file' && under(meta.file)) this.removeFileItem(project, fileItem, meta.file);
      });
    });
  }

  private removeFileItem(project: vscode.TestItem, fileItem: vscode.TestItem, file: string): void {
    project.children.delete(fileItem.id);
    for (const id of [...this.byTestId.keys()]) if (id === file || id.startsWith(`${file}::`)) this.byTestId.delete(id);
  }

  /** Rediscovers one test file's tests under its project, without touching the rest of the tree. */
  async discoverFile(file: string): Promise<void> {
    if (!vscode.workspace.isTrusted) return;
    if (this.refreshing) await this.refreshing;
    const language = file.endsWith('.py') ? 'python' : 'javascript';
    let projectItem: vscode.TestItem | undefined;
    let project: TestProject | undefined;
    this.controller.items.forEach((item) => {
      const meta = this.meta.get(item);
      if (meta?.kind !== 'project' || (meta.project.framework === 'pytest') !== (language === 'python')) return;
      const root = meta.project.root;
      if (!(file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep))) return;
      if (!project || root.length > project.root.length) {
        projectItem = item;
        project = meta.project;
      }
    });
    if (!projectItem || !project) {
      // A test file of no known project: maybe a new project; look again from the top.
      this.scheduleRefresh();
      return;
    }
    const options = await this.runOptions(vscode.Uri.file(project.root));
    const found = project;
    const discovery = await withTempDir((dir) => adapters[found.framework].discover(contextFor(found, options, dir), [file]));
    const mine = discovery.tests.filter((t) => t.file === file);
    const fileItem = projectItem.children.get(`${project.framework}|${file}`);
    if (fileItem) this.removeFileItem(projectItem, fileItem, file);
    for (const t of mine) this.ensureTestItem(projectItem, project, t);
    if (discovery.problems.length) this.log.warn(`Discovering ${file}: ${discovery.problems.join('\n')}`);
    this.log.info(`Discovered ${mine.length} ${project.framework} test(s) in ${vscode.workspace.asRelativePath(file)}`);
    this.fileDiscovered.fire(file);
  }

  private readonly fileDiscovered = this.register(new vscode.EventEmitter<string>());
  /** Fires after one file's tests were rediscovered (integration tests wait on it). */
  readonly onDidDiscoverFile = this.fileDiscovered.event;

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
    for (const id of [...this.byTestId.keys()]) if (!this.byTestId.get(id)?.parent || !roots.includes(this.projectItemOf(this.byTestId.get(id)!))) this.byTestId.delete(id);
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
    this.byTestId.set(id.slice(id.indexOf('|') + 1), item);
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

  /**
   * The request's items by project: whole projects, files, and single tests (its leaves, without
   * the excluded ones). Run and Debug read the same selection.
   */
  groupsOf(request: vscode.TestRunRequest): Map<vscode.TestItem, TestGroup> {
    const requested: vscode.TestItem[] = [];
    if (request.include) requested.push(...request.include);
    else this.controller.items.forEach((i) => requested.push(i));
    const excluded = new Set(request.exclude ?? []);
    const groups = new Map<vscode.TestItem, TestGroup>();
    for (const item of requested) {
      if (excluded.has(item)) continue;
      const projectItem = this.projectItemOf(item);
      const project = (this.meta.get(projectItem) as { project: TestProject } | undefined)?.project;
      if (!project) continue;
      const group = groups.get(projectItem) ?? { project, selection: { files: new Set<string>(), tests: [], all: false }, items: [], leaves: [] };
      groups.set(projectItem, group);
      const meta = this.meta.get(item);
      group.items.push(item);
      if (!meta || meta.kind === 'project') group.selection.all = true;
      else if (meta.kind === 'file') group.selection.files.add(meta.file);
      else for (const leaf of this.leaves(item)) if (!excluded.has(leaf)) group.selection.tests.push(this.meta.get(leaf)!);
      for (const leaf of this.leaves(item)) if (!excluded.has(leaf) && this.meta.get(leaf)?.kind === 'test') group.leaves.push(leaf);
    }
    return groups;
  }

  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Ducktrace runs no tests in an untrusted workspace.');
      return;
    }
    if (this.controller.items.size === 0) await this.refresh();
    const groups = this.groupsOf(request);
    const run = this.controller.createTestRun(request);
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      for (const [projectItem, group] of groups) {
        if (abort.signal.aborted) break;
        const { project } = group;
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
      this.reportResult(run, item, result);
    }
    this.store.update(report.results);
    this.log.info(`${project.framework} in ${project.root}: ${report.results.length} results, ${report.results.filter((r) => r.failure).length} failed`);
  }

  private reportResult(run: vscode.TestRun, item: vscode.TestItem, result: TestCaseResult): void {
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

  /**
   * Reruns one test (by its id) in the Testing view and says how it went: what Explain and Fix
   * shows once its change is settled.
   */
  async runTest(testId: string): Promise<{ state: 'passed' | 'failed' | 'not-run'; message?: string }> {
    const item = this.itemFor(testId);
    if (!item) return { state: 'not-run', message: 'the test is not in the Testing view' };
    const cancel = new vscode.CancellationTokenSource();
    let result: TestCaseResult | undefined;
    const sub = this.onDidRun((report) => (result = report.results.find((r) => r.testId === testId) ?? result));
    try {
      await this.run(new vscode.TestRunRequest([item]), cancel.token);
    } finally {
      sub.dispose();
      cancel.dispose();
    }
    if (!result) return { state: 'not-run', message: 'the run did not report the test' };
    if (result.outcome === 'passed') return { state: 'passed' };
    return { state: 'failed', message: result.failure?.message.split('\n')[0] ?? result.outcome };
  }

  /** The discovered tests of one framework: where a test the terminal names without its file lives. */
  knownTests(framework: Framework): KnownTest[] {
    const known: KnownTest[] = [];
    for (const item of this.byTestId.values()) {
      const m = this.meta.get(item);
      if (m?.kind === 'test' && m.project.framework === framework) known.push({ file: m.test.file, suitePath: m.test.suitePath, name: m.test.name });
    }
    return known;
  }

  /** The item of a test id (as in a TestFailure), if discovered or run. */
  itemFor(testId: string): vscode.TestItem | undefined {
    return this.byTestId.get(testId);
  }

  /** Debug profile: one project's chosen tests under the debugger that fits them, then their outcomes. */
  debug(request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> {
    return debugTests(this, request, token);
  }

  /** Shows a report of tests that ran (a debug session) on their items, as a run does. */
  report(run: vscode.TestRun, projectItem: vscode.TestItem, report: TestRunReport): void {
    const project = (this.meta.get(projectItem) as { project: TestProject }).project;
    this.applyReport(run, projectItem, project, report);
    this.ran.fire(report);
  }

  /** The test (leaf) items of the request that a run would start. */
  testOf(item: vscode.TestItem): Pick<DiscoveredTest, 'file' | 'suitePath' | 'name' | 'nodeId'> | undefined {
    const m = this.meta.get(item);
    return m?.kind === 'test' ? m.test : undefined;
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
      if (item) this.reportResult(run, item, result);
    }
    this.store.update(results);
    run.end();
  }
}
