// "Which function should Ducktrace explain?": when the target finder is not sure (no stack frame
// names the function, and the failing line or a run of the test leaves several), the user picks
// from its candidates, most likely first. Dismissing the list stops the request: nothing is sent.
import * as vscode from 'vscode';
import type { Target, TargetCandidate } from '../../core/blocks/targetFinder';
import type { FoundTarget } from '../../host/tracers/findTarget';

export const chooseTargetTitle = 'Which function should Ducktrace explain?';

interface CandidateItem extends vscode.QuickPickItem {
  readonly target: Target;
}

/** Resolves with the chosen function, or undefined when the list was dismissed (or `signal` aborted). */
export function chooseTarget(found: FoundTarget, signal?: AbortSignal): Promise<Target | undefined> {
  const items = found.candidates.map((c, i): CandidateItem => ({
    label: c.functionName,
    description: `${vscode.workspace.asRelativePath(c.file)}:${c.range.start.line}${i === 0 ? ' · most likely' : ''}`,
    detail: why(c),
    target: c,
  }));
  const pick = vscode.window.createQuickPick<CandidateItem>();
  pick.title = chooseTargetTitle;
  pick.placeholder = `${chooseTargetTitle} (Escape: ask nothing)`;
  pick.matchOnDescription = true;
  pick.ignoreFocusOut = true;
  pick.items = items;
  return new Promise((resolve) => {
    let chosen: Target | undefined;
    const onAbort = () => pick.hide();
    pick.onDidAccept(() => {
      chosen = pick.selectedItems[0]?.target;
      pick.hide();
    });
    pick.onDidHide(() => {
      signal?.removeEventListener('abort', onAbort);
      pick.dispose();
      resolve(signal?.aborted ? undefined : chosen);
    });
    signal?.addEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();
    else pick.show();
  });
}

function why(c: TargetCandidate): string {
  switch (c.reason) {
    case 'stack-frame':
      return `The failure's stack runs through it (line ${c.evidenceLine}).`;
    case 'called-by-test':
      return `The test calls it on line ${c.evidenceLine}.`;
    case 'reached-from-test':
      return c.via ? `The test reaches it: ${c.via}.` : 'The test reaches it through the functions it calls.';
    case 'ran-in-test':
      return 'It ran during the test, though nothing in the test names it.';
  }
}
