// Crash safety for Iterate Until Green: the original text of every file the loop touches is kept
// in the extension's storage (never the workspace) until the loop ends. After a crash or a window
// reload, Ducktrace finds them and offers to restore or keep.
import { createHash, randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface Checkpoint {
  readonly file: string;
  readonly original: string;
  readonly savedAt: string;
}

/** The file operations checkpoints use: VS Code's, or a test's that fails on purpose. */
export type CheckpointFileSystem = Pick<vscode.FileSystem, 'createDirectory' | 'writeFile' | 'rename' | 'delete' | 'readDirectory' | 'readFile'>;

export class Checkpoints {
  constructor(
    private readonly storage: vscode.Uri,
    private readonly fs: CheckpointFileSystem = vscode.workspace.fs,
  ) {}

  /** The folder holding one `<hash>.json` per file (`.tmp` files are writes that never finished). */
  get folder(): vscode.Uri {
    return vscode.Uri.joinPath(this.storage, 'checkpoints');
  }

  /**
   * Keeps `original` as the checkpoint of `file`. Resolves only once the checkpoint is complete on
   * disk: it is written to a temp file and renamed into place, so a crash in the middle leaves at
   * most an ignored `.tmp`, never a torn checkpoint. Rejects with a message naming the folder when
   * it cannot be written; the caller must then leave the file alone.
   */
  async save(file: string, original: string): Promise<void> {
    const name = checkpointName(file);
    const checkpoint: Checkpoint = { file, original, savedAt: new Date().toISOString() };
    const target = vscode.Uri.joinPath(this.folder, name);
    const temp = vscode.Uri.joinPath(this.folder, `${name}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      await this.fs.createDirectory(this.folder);
      await this.fs.writeFile(temp, Buffer.from(JSON.stringify(checkpoint), 'utf8'));
      await this.fs.rename(temp, target, { overwrite: true });
    } catch (err) {
      await Promise.resolve(this.fs.delete(temp, { useTrash: false })).catch(() => undefined);
      throw new Error(`Ducktrace's checkpoint folder ${this.folder.fsPath} is not writable: ${whyNotWritable(err)}`);
    }
  }

  async pending(): Promise<Checkpoint[]> {
    let entries: [string, vscode.FileType][];
    try {
      entries = await this.fs.readDirectory(this.folder);
    } catch {
      return [];
    }
    const out: Checkpoint[] = [];
    for (const [name] of entries.filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.json'))) {
      try {
        const c = JSON.parse(Buffer.from(await this.fs.readFile(vscode.Uri.joinPath(this.folder, name))).toString('utf8')) as Checkpoint;
        if (typeof c.file === 'string' && typeof c.original === 'string') out.push(c);
      } catch {
        // not a checkpoint Ducktrace wrote: nothing usable in it
      }
    }
    return out;
  }

  async clear(): Promise<void> {
    try {
      await this.fs.delete(this.folder, { recursive: true, useTrash: false });
    } catch {
      // nothing there
    }
  }

  private offering: Promise<void> | undefined;

  /** Whether the Restore/Keep question is on screen, unanswered. */
  get isOffering(): boolean {
    return !!this.offering;
  }

  /**
   * At activation (and when a new loop would start over them): a loop that never finished left
   * checkpoints; ask what to do with them. One question at a time.
   */
  offerRecovery(restore: (file: string, text: string) => Promise<void>, log: vscode.LogOutputChannel): Promise<void> {
    this.offering ??= this.askAndRecover(restore, log).finally(() => (this.offering = undefined));
    return this.offering;
  }

  private async askAndRecover(restore: (file: string, text: string) => Promise<void>, log: vscode.LogOutputChannel): Promise<void> {
    const pending = await this.pending();
    if (!pending.length) return;
    const names = pending.map((c) => vscode.workspace.asRelativePath(c.file)).join(', ');
    log.warn(`Found checkpoints of an unfinished Iterate Until Green: ${names}`);
    const one = pending.length === 1;
    const pick = await vscode.window.showWarningMessage(
      `Ducktrace's Iterate Until Green was interrupted while it was changing ${names}. Restore ${one ? 'that file to its' : 'those files to their'} contents before the loop, or keep ${one ? 'it as it is' : 'them as they are'} now?`,
      'Restore',
      'Keep',
    );
    if (pick === 'Keep') {
      log.info(`Kept ${names} as the interrupted loop left ${one ? 'it' : 'them'}.`);
      await this.clear();
    } else if (pick === 'Restore') {
      const failed = await this.restoreAll(pending, restore, log);
      if (failed.length) {
        void vscode.window.showErrorMessage(
          `Ducktrace could not restore ${failed.join('; ')}. ${failed.length === 1 ? 'Its checkpoint is' : 'Their checkpoints are'} kept: Ducktrace asks again at the next start or before the next Iterate Until Green.`,
        );
      }
    }
  }

  /**
   * Writes each checkpoint's original back, each file on its own: a restored file's checkpoint is
   * removed, one that cannot be written keeps its checkpoint for the next try. Returns the files
   * that failed, each with its reason.
   */
  async restoreAll(pending: readonly Checkpoint[], restore: (file: string, text: string) => Promise<void>, log: vscode.LogOutputChannel): Promise<string[]> {
    const failed: string[] = [];
    for (const c of pending) {
      const name = vscode.workspace.asRelativePath(c.file);
      try {
        await restore(c.file, c.original);
        await this.remove(c.file);
        log.info(`Restored ${name} from its checkpoint.`);
      } catch (err) {
        failed.push(`${name} (${err instanceof Error ? err.message : String(err)})`);
      }
    }
    if (failed.length) log.error(`Could not restore ${failed.join('; ')}; kept the checkpoint${failed.length === 1 ? '' : 's'}.`);
    else await this.clear();
    return failed;
  }

  /** Forgets the checkpoint of one file. */
  private async remove(file: string): Promise<void> {
    try {
      await this.fs.delete(vscode.Uri.joinPath(this.folder, checkpointName(file)), { useTrash: false });
    } catch {
      // already gone
    }
  }
}

function checkpointName(file: string): string {
  return createHash('sha256').update(file).digest('hex').slice(0, 24) + '.json';
}

/** The reason in a few words: VS Code's own messages repeat the whole path. */
function whyNotWritable(err: unknown): string {
  const code = err instanceof vscode.FileSystemError ? err.code : (err as { code?: unknown } | undefined)?.code;
  if (code === 'FileExists' || code === 'FileNotADirectory' || code === 'EEXIST' || code === 'ENOTDIR') return 'a file is in its way';
  if (code === 'NoPermissions' || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return 'permission denied';
  if (code === 'ENOSPC') return 'the disk is full';
  return err instanceof Error ? err.message : String(err);
}
