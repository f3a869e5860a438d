// The model's verdicts in the editor: a ✓ or ✗ in the gutter of each judged block's first line,
// the reason after a wrong block's line, and the whole reason in the hover. They describe the code
// as it was judged: an edit of the file clears them.
import * as vscode from 'vscode';
import type { Block } from '../../core/blocks/basicBlocks';
import type { BlockVerdict } from '../../core/duck/diagnosis';
import { markdownText, parseMarkdown } from '../../core/view/markdown';
import { DocumentDecorations } from '../decorations/documentDecorations';
import { Disposable } from '../disposable';

export class VerdictDecorations extends Disposable {
  private readonly decorations: DocumentDecorations<'ok' | 'bad'>;

  constructor(extensionUri: vscode.Uri) {
    super();
    const gutter = (file: string): vscode.DecorationRenderOptions => ({
      gutterIconPath: vscode.Uri.joinPath(extensionUri, 'media', file),
      gutterIconSize: 'contain',
      after: { color: new vscode.ThemeColor('editorCodeLens.foreground'), margin: '0 0 0 2em' },
    });
    this.decorations = this.register(new DocumentDecorations({ ok: gutter('verdict-ok.svg'), bad: gutter('verdict-bad.svg') }));
  }

  show(file: string, blocks: readonly Block[], verdicts: readonly BlockVerdict[]): void {
    const ok: vscode.DecorationOptions[] = [];
    const bad: vscode.DecorationOptions[] = [];
    for (const v of verdicts) {
      const block = blocks.find((b) => b.id === v.blockId);
      if (!block) continue;
      const line = block.range.start.line - 1;
      const hover = new vscode.MarkdownString(`**Ducktrace · block ${block.id}: ${v.correct ? 'looks correct ✓' : 'looks wrong ✗'}**\n\n`);
      hover.appendMarkdown(v.why);
      hover.supportHtml = false;
      // The editor clamps the column to the line's end, where the reason is drawn.
      const item = { range: new vscode.Range(line, 0, line, 100_000), hoverMessage: hover, renderOptions: v.correct ? undefined : { after: { contentText: `✗ ${truncate(markdownText(parseMarkdown(v.why)).replace(/\s+/g, ' '), 80)}` } } };
      (v.correct ? ok : bad).push(item);
    }
    this.decorations.show(vscode.Uri.file(file), { ok, bad });
  }

  clear(): void {
    this.decorations.clear();
  }
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
