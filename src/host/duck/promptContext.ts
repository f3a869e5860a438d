// What the duck's prompt needs besides the blocks and the trace, read from the workspace: the
// failing test's own source (with its suites, hooks, helpers and pytest fixtures, conftest.py
// included), the failure cleaned of runner chatter with the source line of each frame, the
// function's first line (decorators, the comment above it) and the paths as the user knows them.
// Files matching neverSend are never read into the prompt.
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { listFunctions } from '../../core/blocks/functionFinder';
import { languageForFile } from '../../core/blocks/languages';
import { LineIndex } from '../../core/blocks/positions';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import { leadingStartLine } from '../../core/blocks/sourceSpans';
import type { SourceParser, SyntaxTree } from '../../core/blocks/syntaxNode';
import type { Target } from '../../core/blocks/targetFinder';
import { extractTestSource, type FixtureSource } from '../../core/blocks/testSource';
import { cleanFailure, type FailureFacts } from '../../core/duck/failureText';
import type { PromptIntent } from '../../core/duck/prompt';
import { matchesAnyGlob } from '../../core/glob';

export interface TestToDescribe extends FailureFacts {
  /** `<absolute file>::<suite>::...::<name>`: the suites are read from it. */
  readonly testId?: string;
  readonly name?: string;
  readonly file?: string;
  readonly line?: number;
  /** The test's source when the caller already has it. */
  readonly testSource?: string;
}

export interface PromptContext {
  readonly intent: PromptIntent;
  /** The target file relative to its workspace folder. */
  readonly displayFile: string;
  /** The function's first line with its decorators and the comment right above it. */
  readonly firstLine: number;
}

export async function promptContext(request: {
  readonly failure: TestToDescribe;
  readonly target: Target;
  readonly fileText: string;
  readonly files: SourceFiles;
  readonly parser: SourceParser;
  readonly roots: readonly string[];
  readonly neverSend?: readonly string[];
}): Promise<PromptContext> {
  const { failure, target, fileText, files, parser, roots } = request;
  const neverSend = request.neverSend ?? [];
  const show = (file: string) => displayPath(file, roots);
  const allowed = (file: string) => !matchesAnyGlob(file, neverSend);

  const firstLine = await functionFirstLine(fileText, target, parser);
  const suitePath = failure.testId ? failure.testId.split('::').slice(1, -1) : [];
  const testSource = failure.testSource ?? (failure.file && allowed(failure.file) ? await testSourceOf(failure, suitePath, target, files, parser, roots) : undefined);

  // The frames' own lines, from the files the user may send.
  const texts = new Map<string, string[] | undefined>();
  for (const frame of (failure.stack ?? []).slice(0, 12)) {
    if (texts.has(frame.file)) continue;
    texts.set(frame.file, allowed(frame.file) ? (await files.read(frame.file))?.split(/\r?\n/) : undefined);
  }
  // Paths in the runner's words are shown as the user knows them: relative to the workspace.
  const relativeText = (text: string | undefined) => roots.reduce((t, root) => t?.split(`${root.replace(/[\\/]$/, '')}${sep}`).join(''), text);
  const facts = { ...failure, message: relativeText(failure.message), expected: relativeText(failure.expected), actual: relativeText(failure.actual), output: relativeText(failure.output) };
  const clean = cleanFailure(facts, { displayPath: show, sourceLine: (file, line) => texts.get(file)?.[line - 1] });

  return {
    intent: {
      // A failure of a whole file is named by its path.
      testName: failure.name ? (isAbsolute(failure.name) ? show(failure.name) : failure.name) : 'the failing test',
      suitePath,
      ...(failure.file ? { testFile: show(failure.file) } : {}),
      ...(failure.line ? { testLine: failure.line } : {}),
      testSource,
      failure: clean,
      message: facts.message,
      expected: facts.expected,
      actual: facts.actual,
    },
    displayFile: show(target.file),
    firstLine,
  };
}

/** A path relative to the workspace folder holding it, with forward slashes; as is outside them. */
export function displayPath(file: string, roots: readonly string[]): string {
  for (const root of roots) {
    const rel = relative(root, file);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  }
  return file;
}

async function functionFirstLine(fileText: string, target: Target, parser: SourceParser): Promise<number> {
  let tree: SyntaxTree | undefined;
  try {
    tree = await parser.parse(fileText, target.language);
    const fn = listFunctions(tree.rootNode, target.language, new LineIndex(fileText)).find(
      (f) => f.range.start.line === target.range.start.line && f.range.start.character === target.range.start.character && f.range.end.line === target.range.end.line,
    );
    return fn ? Math.min(target.range.start.line, leadingStartLine(fn.node, fileText)) : target.range.start.line;
  } catch {
    return target.range.start.line;
  } finally {
    tree?.delete();
  }
}

async function testSourceOf(failure: TestToDescribe, suitePath: string[], target: Target, files: SourceFiles, parser: SourceParser, roots: readonly string[]): Promise<string | undefined> {
  const file = failure.file!;
  const text = await files.read(file);
  const language = languageForFile(file);
  if (text === undefined) return undefined;
  if (language) {
    const trees: SyntaxTree[] = [];
    try {
      const tree = await parser.parse(text, language);
      trees.push(tree);
      const fixtureSources: FixtureSource[] = [];
      if (language === 'python') {
        for (const conftest of conftestsAbove(file, roots)) {
          const source = await files.read(conftest);
          if (source === undefined) continue;
          const t = await parser.parse(source, 'python');
          trees.push(t);
          fixtureSources.push({ root: t.rootNode, source, label: displayPath(conftest, roots) });
        }
      }
      const shortName = target.functionName.split('.').pop() ?? target.functionName;
      const extracted = extractTestSource(tree.rootNode, text, language, { name: failure.name ?? '', suitePath, line: failure.line }, { exclude: [shortName], fixtureSources });
      if (extracted) return extracted.text;
    } catch {
      // A grammar that cannot load, a file that does not parse: the lines around the test will do.
    } finally {
      for (const t of trees) t.delete();
    }
  }
  // No test of that name (the whole file failed, or it hung): the file when short, else around the line.
  const lines = text.split(/\r?\n/);
  if (lines.length <= 80) return text.trimEnd();
  if (!failure.line) return undefined;
  return lines.slice(Math.max(0, failure.line - 15), Math.min(lines.length, failure.line + 15)).join('\n');
}

/** conftest.py files from the test's folder up to its workspace folder, nearest first. */
function conftestsAbove(file: string, roots: readonly string[]): string[] {
  const root = roots.find((r) => {
    const rel = relative(r, file);
    return rel && !rel.startsWith('..') && !isAbsolute(rel);
  });
  if (!root) return [];
  const out: string[] = [];
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    out.push(join(dir, 'conftest.py'));
    const rel = relative(root, dir);
    if (!rel || rel.startsWith('..') || dirname(dir) === dir) break;
  }
  return out;
}
