// ducktrace_proposeFix, the part without an editor: an agent's fix of one function applied in
// memory by the same fix applier and scope check as the duck's answers (whole function, unified
// diff or search/replace edits, placed by their text; the file must still parse and nothing but the
// function may change, besides new imports and helpers), and returned as the new file text and its
// unified diff. Nothing is written here: the MCP server returns the diff, the editor
// shows it as an inline proposal the user settles hunk by hunk.
import { createTwoFilesPatch } from 'diff';
import type { SourceFiles } from '../../core/blocks/sourceFiles';
import type { Fix } from '../../core/duck/diagnosis';
import type { LineRange } from '../../core/duck/fixApplier';
import { applyFixInScope } from '../../core/duck/fixScope';
import type { AgentProject, LocatedFunction } from './agentProject';
import type { ProposeFixInput } from './agentToolSpecs';
import { AgentToolError, type ToolOutput } from './toolResult';

export interface PreparedFix {
  readonly located: LocatedFunction;
  readonly oldText: string;
  readonly newText: string;
  /** Unified diff of the file, paths relative to the project. */
  readonly diff: string;
  /** Lines outside the function the fix changes (same file only). */
  readonly outsideTarget: readonly LineRange[];
  readonly notes: readonly string[];
}

/**
 * The fix applied to the function's file as `files` hold it now (the editor passes its buffers,
 * so unsaved edits are the base); an AgentToolError says why it cannot be.
 */
export async function prepareFix(project: AgentProject, input: ProposeFixInput, files: SourceFiles = project.files): Promise<PreparedFix> {
  const fix = fixOf(input);
  const located = await project.locate(input.target, undefined, files);
  const { target, fileText } = located;
  const applied = await applyFixInScope(project.parser, fileText, { name: target.functionName, range: target.range, language: target.language, file: target.file }, fix);
  if (!applied.ok) throw new AgentToolError(`The fix does not apply to ${target.functionName} (${located.file}): ${applied.error}. Nothing was proposed.`);
  if (applied.text === fileText) throw new AgentToolError(`The fix changes nothing in ${target.functionName} (${located.file}).`);
  // Without the "=====" banner line the diff library puts first: what `git apply` and `patch -p1` expect.
  const diff = createTwoFilesPatch(`a/${located.file}`, `b/${located.file}`, fileText, applied.text, undefined, undefined, { context: 3 }).replace(/^=+\n/, '');
  return { located, oldText: fileText, newText: applied.text, diff, outsideTarget: applied.outsideRanges, notes: applied.notes };
}

/** ducktrace_proposeFix over MCP: the checked fix as a unified diff; the file is not written. */
export async function fixDiffTool(project: AgentProject, input: ProposeFixInput): Promise<ToolOutput> {
  const fix = await prepareFix(project, input);
  const { located } = fix;
  const text = [
    `The fix applies to ${located.target.functionName} (${located.file}) and the file still parses. Nothing was written: apply this diff to make the change.`,
    ...outsideNote(fix),
    '',
    '```diff',
    fix.diff.trimEnd(),
    '```',
  ];
  const data = { file: located.file, function: located.target.functionName, diff: fix.diff, written: false, outsideTarget: fix.outsideTarget, notes: fix.notes };
  return project.redact({ text: text.join('\n'), data });
}

export function outsideNote(fix: PreparedFix): string[] {
  if (!fix.outsideTarget.length) return [];
  const spans = fix.outsideTarget.map((r) => (r.startLine === r.endLine ? `line ${r.startLine}` : `lines ${r.startLine}-${r.endLine}`));
  return [`Note: it also changes ${spans.join(', ')}, outside ${fix.located.target.functionName}.`];
}

function fixOf(input: ProposeFixInput): Fix {
  const given = [input.code !== undefined, input.diff !== undefined, input.edits !== undefined].filter(Boolean).length;
  if (given !== 1) throw new AgentToolError('Give the fix in exactly one of "code" (the whole corrected function), "diff" (a unified diff) or "edits" (search/replace pairs).');
  if (input.code !== undefined) {
    if (!input.code.trim()) throw new AgentToolError('"code" is empty: give the whole corrected function.');
    return { kind: 'function', code: input.code };
  }
  if (input.diff !== undefined) return { kind: 'diff', diff: input.diff };
  if (!input.edits!.length) throw new AgentToolError('"edits" is empty.');
  return { kind: 'search-replace', edits: input.edits! };
}
