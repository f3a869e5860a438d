// The workspace folders as the agent tools' projects (src/host/agents): one AgentProject per folder,
// kept so its remembered test results stay fresh across calls, with the editor's own settings
// (Python interpreter, test timeout, framework, neverSend, the stored API key hidden from answers).
// Also: which folder a path or test id belongs to, and the failing test under the cursor.
import * as vscode from 'vscode';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import type { TestFailure } from '../../core/failures/testFailure';
import { AgentProject } from '../../host/agents/agentProject';
import { AgentToolError } from '../../host/agents/toolResult';
import { NodeSourceFiles } from '../../host/nodeSourceFiles';
import type { ModelSelection } from '../models/modelSelection';
import { neverSendPatterns, testSettings } from '../settings';
import { pythonInterpreter } from '../testing/pythonInterpreter';
import type { FailureStore } from '../testing/failureStore';

/** Open editors' text first (unsaved edits count), the file system otherwise: the base a proposal is made against. */
export class EditorSourceFiles implements SourceFiles {
  private readonly disk = new NodeSourceFiles();
  async read(file: string): Promise<string | undefined> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'file' && d.uri.fsPath === file);
    return open ? open.getText() : this.disk.read(file);
  }
}

export class AgentProjects {
  private readonly projects = new Map<string, Promise<AgentProject>>();
  readonly editorFiles = new EditorSourceFiles();

  constructor(
    private readonly helpersDir: string,
    private readonly parser: SourceParser,
    private readonly models: ModelSelection,
    private readonly failures: FailureStore,
  ) {}

  folders(): vscode.WorkspaceFolder[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
  }

  /** Drops the projects (and their remembered results): the next call makes them with the settings as they are. */
  forget(): void {
    this.projects.clear();
  }

  /** The project of a workspace folder (created once). */
  project(folder: vscode.WorkspaceFolder): Promise<AgentProject> {
    const key = folder.uri.fsPath;
    let project = this.projects.get(key);
    if (!project) {
      project = AgentProject.open(key, {
        helpersDir: this.helpersDir,
        parser: this.parser,
        python: () => pythonInterpreter(folder.uri),
        testTimeoutMs: testSettings(folder.uri).testTimeoutMs,
        framework: testSettings(folder.uri).framework,
        neverSend: neverSendPatterns(),
        secretValues: async () => [await this.models.storedApiKey()].filter((k): k is string => !!k),
      });
      project.catch(() => this.projects.delete(key));
      this.projects.set(key, project);
    }
    return project;
  }

  /**
   * The project a tool input is about: the folder holding `path` (a file, `FILE:FUNCTION`, or a
   * test id `FILE::NAME`; relative paths are tried in each folder), else the only folder.
   */
  async projectFor(...paths: (string | undefined)[]): Promise<AgentProject> {
    const folders = this.folders();
    if (!folders.length) throw new AgentToolError('Open a folder first: Ducktrace works on the files of the workspace.');
    for (const given of paths) {
      const file = given ? fileOf(given) : undefined;
      if (!file) continue;
      const uri = file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file) ? vscode.Uri.file(file) : undefined;
      const folder = uri ? vscode.workspace.getWorkspaceFolder(uri) : await this.folderHolding(folders, file);
      if (folder) return this.project(folder);
    }
    return this.project(folders[0]!);
  }

  private async folderHolding(folders: readonly vscode.WorkspaceFolder[], relative: string): Promise<vscode.WorkspaceFolder | undefined> {
    for (const folder of folders) {
      try {
        await vscode.workspace.fs.stat(vscode.Uri.joinPath(folder.uri, relative));
        return folder;
      } catch {
        // not in this folder
      }
    }
    return undefined;
  }

  /**
   * The failing test at the cursor: the test the cursor is in (the known failure of that file whose
   * definition is nearest above it), else a failure whose stack passes through the cursor's file.
   */
  failureUnderCursor(): TestFailure | undefined {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.uri.scheme !== 'file') return undefined;
    const file = editor.document.uri.fsPath;
    const line = editor.selection.active.line + 1;
    const inFile = this.failures.forFile(file).filter((f) => f.line <= line).sort((a, b) => b.line - a.line);
    if (inFile[0]) return inFile[0];
    const through = this.failures
      .all()
      .flatMap((f) => f.stack.filter((s) => s.file === file).map((s) => ({ f, distance: Math.abs(s.line - line) })))
      .sort((a, b) => a.distance - b.distance);
    return through[0]?.f;
  }
}

/** The file part of a test id (`FILE::TEST`), of `FILE:FUNCTION` or `FILE:LINE`, or a plain path. */
function fileOf(given: string): string | undefined {
  if (given.includes('::')) return given.split('::')[0]!.replace(/\[.*$/, '') || undefined;
  const target = /^(.+\.(?:py|[cm]?[jt]sx?)):[^/\\]+$/.exec(given);
  return target ? target[1] : given;
}
