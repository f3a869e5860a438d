// An agent's fix shown the way Ducktrace shows its own: an inline proposal the user accepts or
// rejects hunk by hunk (src/vscode/review). Nothing is written until the user accepts a hunk.
// The caller waits for the user's decision: every hunk settled, the proposal replaced or
// cancelled (file deleted, renamed), or the caller's own cancellation (the proposal then stays).
import * as vscode from 'vscode';
import { hunkLines, isSettled, type Hunk } from '../../core/patch/proposal';
import type { AgentProject } from '../../host/agents/agentProject';
import type { ProposeFixInput } from '../../host/agents/agentToolSpecs';
import { outsideNote, prepareFix } from '../../host/agents/fixTool';
import type { ToolOutput } from '../../host/agents/toolResult';
import type { ProposalManager, ReviewedProposal } from '../review/proposalManager';
import type { SourceFiles } from '../../core/blocks/sourceFiles';

export type FixDecision = 'accepted' | 'rejected' | 'partly accepted' | 'cancelled' | 'pending' | 'replaced';

export interface ShownFix {
  readonly reviewed: ReviewedProposal;
  readonly uri: vscode.Uri;
  readonly diff: string;
  readonly outside: readonly string[];
}

/** Puts the fix up as an inline proposal in its file's editor; an AgentToolError says why it cannot. */
export async function showFix(project: AgentProject, input: ProposeFixInput, proposals: ProposalManager, files: SourceFiles): Promise<ShownFix | undefined> {
  const fix = await prepareFix(project, input, files);
  const uri = vscode.Uri.file(fix.located.target.file);
  const title = input.test ? `Fix proposed by an agent for ${input.test}` : `Fix of ${fix.located.target.functionName} proposed by an agent`;
  const reviewed = await proposals.propose(uri, fix.newText, { title });
  if (!reviewed) return undefined;
  const line = fix.located.target.range.start.line - 1;
  await vscode.window.showTextDocument(uri, { preview: false, preserveFocus: false, selection: new vscode.Range(line, 0, line, 0) });
  return { reviewed, uri, diff: fix.diff, outside: outsideNote(fix) };
}

/** Resolves once the user has settled every hunk, the proposal went away, or `token` is cancelled. */
export function decision(proposals: ProposalManager, shown: ShownFix, token: vscode.CancellationToken): Promise<FixDecision> {
  const { reviewed, uri } = shown;
  const judge = (): FixDecision | undefined => {
    if (isSettled(reviewed.proposal)) {
      const states = reviewed.proposal.hunks.map((h) => h.state);
      return states.every((s) => s === 'accepted') ? 'accepted' : states.every((s) => s === 'rejected') ? 'rejected' : 'partly accepted';
    }
    if (proposals.get(uri) !== reviewed) return proposals.get(uri) ? 'replaced' : 'cancelled';
    return undefined;
  };
  return new Promise((resolve) => {
    const done = (d: FixDecision) => {
      listener.dispose();
      cancel.dispose();
      resolve(d);
    };
    const listener = proposals.onDidChange(() => {
      const d = judge();
      if (d) done(d);
    });
    const cancel = token.onCancellationRequested(() => done('pending'));
    const now = judge();
    if (now) done(now);
  });
}

/** The tool's answer: what the user decided per change, the diff, and what to do next. */
export async function decisionOutput(project: AgentProject, shown: ShownFix, decided: FixDecision): Promise<ToolOutput> {
  const { reviewed } = shown;
  const file = project.root.relative(shown.uri.fsPath);
  const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === shown.uri.toString());
  const text = doc?.getText() ?? '';
  const hunks = reviewed.proposal.hunks.map((h: Hunk) => ({ id: h.id, state: h.state, line: text ? hunkLines(text, h).startLine + 1 : undefined, removed: h.oldText, added: h.newText }));
  const accepted = hunks.filter((h) => h.state === 'accepted').length;
  const headline: Record<FixDecision, string> = {
    accepted: `The user accepted the fix: all ${hunks.length} change${hunks.length === 1 ? '' : 's'} to ${file} are applied${reviewed.acceptedAny && !doc?.isDirty ? ' and saved' : ''}.`,
    rejected: `The user rejected the fix: ${file} is unchanged.`,
    'partly accepted': `The user accepted ${accepted} of ${hunks.length} changes to ${file} and rejected the others.`,
    cancelled: `The proposal was withdrawn before the user decided (its file was deleted, renamed or changed under it): ${file} is unchanged.`,
    replaced: `Another proposal for ${file} replaced this one before the user decided.`,
    pending: `The request was cancelled; the proposal stays in the editor for the user to accept or reject.`,
  };
  const lines = [headline[decided], ...shown.outside];
  if (hunks.length > 1 || decided === 'partly accepted') lines.push('', ...hunks.map((h) => `- ${h.id}${h.line ? ` (line ${h.line})` : ''}: ${h.state}`));
  lines.push('', 'The proposed diff:', '```diff', shown.diff.trimEnd(), '```');
  if (accepted) lines.push('', 'Next: ducktrace_failingTests with rerun: true shows whether the tests pass now.');
  return project.redact({ text: lines.join('\n'), data: { file, decision: decided, hunks, diff: shown.diff } });
}
