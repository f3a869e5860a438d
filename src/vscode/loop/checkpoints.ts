// Crash safety for Iterate Until Green: the original text of every file the loop touches is kept
// in the extension's storage (never the workspace) until the loop ends. After a crash or a window
// reload, Ducktrace finds them and offers to restore or keep.
import { createHash } from 'node:crypto';
import * as vscode from 'vscode';

interface Checkpoint {
  readonly file: string;
  readonly original: string;
  readonly savedAt: string;
}

export class Checkpoints {
  constructor(private readonly storage: vscode.Uri) {}

  private get dir(): vscode.Uri {
    return vscode.Uri.joinPath(this.storage, 'checkpoints');
  }

  async save(file: string, original: string): Promise<void> {
    const name = createHash('sha256').update(file).digest('hex').slice(0, 24) + '.json';
    const checkpoint: Checkpoint = { file, original, savedAt: new Date().toISOString() };
    await vscode.workspace.fs.createDirectory(this.dir);
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(this.dir, name), Buffer.from(JSON.stringify(checkpoint), 'utf8'));
  }

  async pending(): Promise<Checkpoint[]> {
    let entries: [string, vscode.FileType][];
    try {
      entries = await vscode.workspace.fs.readDirectory(this.dir);
    } catch {
      return [];
    }
    const out: Checkpoint[] = [];
    for (const [name] of entries.filter(([n, t]) => t === vscode.FileType.File && n.endsWith('.json'))) {
      try {
        const c = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(this.dir, name))).toString('utf8')) as Checkpoint;
        if (typeof c.file === 'string' && typeof c.original === 'string') out.push(c);
      } catch {
        // a torn write from a crash: nothing usable in it
      }
    }
    return out;
  }

  async clear(): Promise<void> {
    try {
      await vscode.workspace.fs.delete(this.dir, { recursive: true, useTrash: false });
    } catch {
      // nothing there
    }
  }

  /** At activation: a loop that never finished left checkpoints; ask what to do with them. */
  async offerRecovery(restore: (file: string, text: string) => Promise<void>, log: vscode.LogOutputChannel): Promise<void> {
    const pending = await this.pending();
    if (!pending.length) return;
    const names = pending.map((c) => vscode.workspace.asRelativePath(c.file)).join(', ');
    log.warn(`Found checkpoints of an unfinished Iterate Until Green: ${names}`);
    const pick = await vscode.window.showWarningMessage(
      `Ducktrace's Iterate Until Green was interrupted while it was changing ${names}. Restore ${pending.length === 1 ? 'that file' : 'those files'} to ${pending.length === 1 ? 'its' : 'their'} contents before the loop, or keep them as they are now?`,
      'Restore',
      'Keep',
    );
    if (pick === 'Restore') {
      for (const c of pending) await restore(c.file, c.original);
      log.info(`Restored ${names} from checkpoints.`);
    }
    if (pick === 'Restore' || pick === 'Keep') await this.clear();
  }
}
