// "Ducktrace: Show Blocks": draws the basic blocks of the function at the cursor, alternating a
// subtle background, with the block id and kind after each block's first line and a hover with
// its lines and successors. Any edit of the document clears them (they describe the old text).
import * as vscode from 'vscode';
import type { Block } from '../../core/blocks/basicBlocks';
import { BlocksError } from '../../core/blocks/blocksError';
import { blocksOfFunction, type FunctionBlocks } from '../../core/blocks/functionBlocks';
import { languageForFile, type SourceLanguage } from '../../core/blocks/languages';
import type { SourceParser } from '../../core/blocks/syntaxNode';
import { DocumentDecorations } from '../decorations/documentDecorations';
import { Disposable } from '../disposable';

const languageIds: Record<string, SourceLanguage> = {
  python: 'python',
  javascript: 'javascript',
  javascriptreact: 'javascript',
  typescript: 'typescript',
  typescriptreact: 'tsx',
};

export function sourceLanguageOf(doc: vscode.TextDocument): SourceLanguage | undefined {
  return languageIds[doc.languageId] ?? languageForFile(doc.uri.path);
}

export class BlocksView extends Disposable {
  private readonly decorations: DocumentDecorations<'even' | 'odd'>;
  private shown: FunctionBlocks | undefined;

  constructor(private readonly parser: SourceParser) {
    super();
    const style = (color: string): vscode.DecorationRenderOptions => ({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor(color),
      overviewRulerColor: new vscode.ThemeColor(color),
      overviewRulerLane: vscode.OverviewRulerLane.Right,
    });
    this.decorations = this.register(new DocumentDecorations({ even: style('ducktrace.blockBackgroundEven'), odd: style('ducktrace.blockBackgroundOdd') }));
    this.register(this.decorations.onDidClear(() => (this.shown = undefined)));
  }

  /** The blocks on screen now (for tests). */
  get current(): FunctionBlocks | undefined {
    return this.shown;
  }

  async showAtCursor(editor = vscode.window.activeTextEditor): Promise<FunctionBlocks | undefined> {
    if (!editor) {
      void vscode.window.showInformationMessage('Ducktrace: open a Python, JavaScript or TypeScript file and put the cursor in a function.');
      return undefined;
    }
    const language = sourceLanguageOf(editor.document);
    if (!language) {
      void vscode.window.showInformationMessage(`Ducktrace shows blocks for Python, JavaScript and TypeScript; this is ${editor.document.languageId}.`);
      return undefined;
    }
    try {
      const result = await blocksOfFunction(editor.document.getText(), language, this.parser, { line: editor.selection.active.line + 1 });
      this.shown = result;
      const even: vscode.DecorationOptions[] = [];
      const odd: vscode.DecorationOptions[] = [];
      result.blocks.forEach((b, i) => (i % 2 === 0 ? even : odd).push(decoration(b, result)));
      this.decorations.show(editor.document.uri, { even, odd });
      vscode.window.setStatusBarMessage(`Ducktrace: ${result.function.name} has ${result.blocks.length} basic block${result.blocks.length === 1 ? '' : 's'}`, 5000);
      return result;
    } catch (err) {
      this.clear();
      const message = err instanceof BlocksError || err instanceof Error ? err.message : String(err);
      void vscode.window.showWarningMessage(`Ducktrace: ${message}`);
      return undefined;
    }
  }

  clear(): void {
    this.shown = undefined;
    this.decorations.clear();
  }
}

function decoration(block: Block, fb: FunctionBlocks): vscode.DecorationOptions {
  const range = new vscode.Range(block.range.start.line - 1, 0, Math.max(block.range.start.line, block.range.end.line) - 1, 0);
  const successors = block.successors.length ? block.successors.join(', ') : 'none (leaves the function)';
  const hover = new vscode.MarkdownString(`**Ducktrace · block ${block.id}** of \`${fb.function.name}\`\n\n`);
  hover.appendMarkdown(`- kind: ${block.kind}\n- lines ${block.range.start.line}–${block.range.end.line}\n- next: ${successors}`);
  return {
    range,
    hoverMessage: hover,
    // The id is text, not colour alone: screen readers and colour-blind users get it too.
    renderOptions: { after: { contentText: `  ${block.id} · ${block.kind}`, color: new vscode.ThemeColor('editorCodeLens.foreground'), fontStyle: 'italic' } },
  };
}
