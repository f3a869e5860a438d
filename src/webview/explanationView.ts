// The Ducktrace view's page: renders the state the extension posts (src/core/view). Model text is
// untrusted: everything is built with DOM APIs and text nodes, and markdown goes through the parser
// in src/core/view/markdown.ts into a fixed set of elements; nothing becomes HTML or a link to
// follow. The page's CSP allows only this nonce'd script and the extension's stylesheet.
//
// Order, newest first: what is happening now (status, Cancel, the error), the loop's summary or
// progress, the present session (the test, the rerun, the explanation, the change, the blocks),
// the loop's iterations newest first, then earlier sessions collapsed.
import type { EarlierSession, ExplanationState, LoopView, SessionPhase, ViewHunk } from '../core/view/explanationState';
import { parseMarkdown, type MdBlock, type MdInline } from '../core/view/markdown';
import type { HostMessage, ViewMessage } from '../core/view/viewProtocol';

interface VsCodeApi {
  postMessage(message: ViewMessage): void;
  getState(): ExplanationState | undefined;
  setState(state: ExplanationState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;
const post = (m: ViewMessage) => vscode.postMessage(m);

type Child = Node | string | null | undefined | false;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, children: readonly Child[] = []): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

function button(label: string, title: string, message: ViewMessage, cls = ''): HTMLButtonElement {
  const b = h('button', { type: 'button', title, 'aria-label': title, class: cls }, [label]);
  b.addEventListener('click', () => post(message));
  return b;
}

function inline(nodes: readonly MdInline[]): Node[] {
  return nodes.map((n): Node => {
    switch (n.kind) {
      case 'text':
        return document.createTextNode(n.text);
      case 'code':
        return h('code', {}, [n.text]);
      case 'strong':
        return h('strong', {}, inline(n.children));
      case 'em':
        return h('em', {}, inline(n.children));
      case 'link':
        // Shown, never followed: the address is only a tooltip.
        return h('span', { class: 'link', title: n.href }, inline(n.children));
    }
  });
}

function blocks(md: readonly MdBlock[]): Node[] {
  return md.map((b): Node => {
    switch (b.kind) {
      case 'paragraph':
        return h('p', {}, inline(b.children));
      case 'heading':
        return h('h4', {}, inline(b.children));
      case 'list':
        return h(b.ordered ? 'ol' : 'ul', {}, b.items.map((it) => h('li', {}, inline(it))));
      case 'code':
        return h('pre', {}, [h('code', {}, [b.text])]);
      case 'quote':
        return h('blockquote', {}, blocks(b.children));
    }
  });
}

/** Markdown from the model as elements; `tight` keeps a one-paragraph text inline-sized. */
function markdown(text: string, cls = 'markdown'): HTMLElement {
  return h('div', { class: cls }, blocks(parseMarkdown(text)));
}

const phaseText: Record<SessionPhase, string> = {
  idle: 'Ready',
  locating: 'Finding the function to debug',
  tracing: 'Recording values block by block',
  asking: 'Asking the model',
  parsing: 'Reading the answer',
  proposed: 'Fix proposed',
  done: 'Done',
  cancelled: 'Cancelled',
  error: 'Stopped',
};
const busyPhases: readonly SessionPhase[] = ['locating', 'tracing', 'asking', 'parsing'];

function loopHead(loop: LoopView): HTMLElement {
  const sec = h('section', { 'aria-label': 'Iterate until green', class: 'loop' }, [h('h3', {}, [`Iterate until green (${loop.mode} mode)`])]);
  const sm = loop.summary;
  if (!sm) {
    sec.append(h('p', { class: 'loop-status', role: 'status' }, [loop.status || 'Running the tests…']));
    return sec;
  }
  const box = h('div', { class: `summary summary-${sm.stop}${sm.reverted ? ' summary-reverted' : ''}`, role: 'status' }, [h('strong', {}, [sm.message])]);
  if (sm.finalRun) box.append(h('div', { class: 'final-run' }, [sm.finalRun]));
  box.append(h('div', {}, [`Fixed: ${sm.fixed.length ? sm.fixed.map((id) => id.split('::').pop() ?? id).join(', ') : 'none'}`]));
  if (sm.stillFailing.length) {
    box.append(h('div', {}, ['Still failing:']), h('ul', {}, sm.stillFailing.map((f) => h('li', {}, [h('strong', {}, [f.name]), ' — ', ...inline(parseInlineText(f.why))]))));
  }
  if (sm.reverted) {
    box.append(h('div', { class: 'reverted' }, [`Reverted: ${sm.reverted.join(', ')} restored to their contents before the loop.`]));
  } else if (sm.changedFiles.length) {
    box.append(h('div', {}, [`Changed: ${sm.changedFiles.join(', ')}`]));
    box.append(button('Revert All Ducktrace Changes', 'Restore the exact contents every changed file had before the loop', { type: 'revertAll' }));
  }
  sec.append(box);
  return sec;
}

/** A one-line markdown text (a reason, a detail) as inline nodes. */
function parseInlineText(text: string): MdInline[] {
  const first = parseMarkdown(text)[0];
  return first && (first.kind === 'paragraph' || first.kind === 'heading') ? [...first.children] : [{ kind: 'text', text }];
}

function timeline(loop: LoopView): HTMLElement | undefined {
  if (!loop.timeline.length) return undefined;
  const sec = h('section', { 'aria-label': 'Iterations', class: 'iterations' }, [h('h3', {}, ['Iterations, newest first'])]);
  const list = h('ol', { class: 'timeline', reversed: '' });
  for (const e of [...loop.timeline].reverse()) {
    const item = h('li', { class: `entry result-${e.result}`, value: String(e.iteration) }, [h('div', {}, [h('strong', {}, [e.test]), ` — ${e.result}`]), h('div', { class: 'detail' }, inline(parseInlineText(e.detail)))]);
    if (e.summary) item.append(markdown(e.summary, 'markdown why'));
    if (e.diff) {
      const diff = h('pre', { class: 'diff' });
      for (const l of e.diff.split('\n').slice(2)) diff.append(h('div', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '' }, [l]));
      item.append(h('details', {}, [h('summary', {}, ['Change']), diff]));
    }
    list.append(item);
  }
  sec.append(list);
  return sec;
}

function hunkView(hk: ViewHunk, i: number): HTMLElement {
  const head = h('div', { class: 'hunk-head' }, [h('span', {}, [`Change ${i + 1} · line ${hk.startLine} · `]), h('span', { class: `state state-${hk.state}` }, [hk.state])]);
  if (hk.outsideTarget) head.append(h('span', { class: 'flag' }, [' · outside the target function']));
  if (hk.state === 'pending') {
    head.append(button('Accept', `Accept change ${i + 1}`, { type: 'accept', hunkId: hk.id }));
    head.append(button('Reject', `Reject change ${i + 1}`, { type: 'reject', hunkId: hk.id }, 'secondary'));
  }
  const diff = h('pre', { class: 'diff' });
  if (hk.oldText) for (const l of hk.oldText.replace(/\r?\n$/, '').split(/\r?\n/)) diff.append(h('div', { class: 'del' }, [`- ${l}`]));
  if (hk.newText) for (const l of hk.newText.replace(/\r?\n$/, '').split(/\r?\n/)) diff.append(h('div', { class: 'add' }, [`+ ${l}`]));
  return h('div', { class: 'hunk' }, [head, diff]);
}

function earlierView(earlier: readonly EarlierSession[]): HTMLElement {
  const sec = h('section', { 'aria-label': 'Earlier sessions', class: 'earlier' }, [h('h3', {}, ['Earlier'])]);
  for (const e of earlier) {
    const details = h('details', {}, [h('summary', {}, [h('strong', {}, [e.title]), ` — ${e.outcome}`])]);
    if (e.loop) {
      const t = timeline(e.loop);
      if (t) details.append(t);
    }
    sec.append(details);
  }
  return sec;
}

function render(s: ExplanationState | undefined): void {
  root.replaceChildren();
  if (!s) {
    root.append(h('p', { class: 'empty' }, ['Run ', h('strong', {}, ['Explain and Fix']), ' on a failing test to see, block by block, why it fails.']));
    return;
  }
  if (s.notice) {
    const n = h('div', { class: 'error', role: 'alert' }, [s.notice.message]);
    if (s.notice.action) n.append(' ', button(s.notice.action, s.notice.action, { type: 'action', action: s.notice.action }));
    root.append(n);
  }
  const idle = s.phase === 'idle';
  const loopEnded = !!s.loop?.summary;
  // 1. What is newest: a stopped loop's summary; else the running session's status, Cancel, error.
  if (s.loop && loopEnded) root.append(loopHead(s.loop));
  if (!idle) {
    const busy = busyPhases.includes(s.phase);
    root.append(
      h('div', { class: 'status', role: 'status', 'aria-live': 'polite' }, [
        h('span', { class: `phase phase-${s.phase}` }, [phaseText[s.phase] ?? s.phase]),
        s.status ? h('span', { class: 'detail' }, [` · ${s.status}`]) : null,
      ]),
    );
    const toolbar = h('div', { class: 'toolbar' });
    if (busy) toolbar.append(button('Cancel', 'Cancel the request', { type: 'cancel' }));
    else if (s.traceTable) toolbar.append(button('Explain and Fix', 'Ask the model about this failing test, with these values', { type: 'explainTraced' }));
    else if (!s.loop) toolbar.append(button('Retry', 'Ask again from the start', { type: 'retry' }));
    if (s.hasPrompt) toolbar.append(button('Show Prompt', 'Show exactly what was sent to the model', { type: 'showPrompt' }, 'secondary'));
    if (toolbar.childElementCount) root.append(toolbar);
    if (s.error) {
      const err = h('div', { class: 'error', role: 'alert' }, [h('strong', {}, ['Error: ']), s.error.message]);
      if (s.error.action) err.append(' ', button(s.error.action, s.error.action, { type: 'action', action: s.error.action }));
      root.append(err);
    }
  }
  // 2. A running loop: what it does now.
  if (s.loop && !loopEnded) root.append(loopHead(s.loop));

  // 3. The present session.
  if (s.test) {
    const t = s.test;
    const rerun = s.rerun;
    const heading = t.fromDiagnostic ? 'Error' : rerun?.state === 'passed' ? 'Test (now passes)' : 'Failing test';
    const sec = h('section', { 'aria-label': heading }, [h('h3', {}, [heading])]);
    const link = h('a', { href: '#', class: 'location' }, [t.name]);
    link.addEventListener('click', (e) => {
      e.preventDefault();
      post({ type: 'open', file: t.file, line: t.line ?? 1 });
    });
    sec.append(h('div', {}, [link]));
    if (rerun && rerun.state !== 'not-run') {
      const text = rerun.state === 'running' ? 'Rerunning it with the change…' : rerun.state === 'passed' ? '✓ Passes after the change.' : `✗ Still fails after the change${rerun.message ? `: ${rerun.message}` : '.'}`;
      sec.append(h('div', { class: `rerun rerun-${rerun.state}`, role: 'status' }, [text]));
    }
    // Once it passes, the old failure is history: kept folded, not in the reader's way.
    const failure: HTMLElement[] = [];
    if (t.message) failure.push(h('pre', { class: 'message' }, [t.message]));
    if (t.expected !== undefined || t.actual !== undefined) {
      failure.push(h('div', { class: 'expected' }, [h('span', { class: 'label' }, ['expected ']), h('code', {}, [String(t.expected ?? '')])]));
      failure.push(h('div', { class: 'actual' }, [h('span', { class: 'label' }, ['actual ']), h('code', {}, [String(t.actual ?? '')])]));
    }
    if (rerun?.state === 'passed' && failure.length) sec.append(h('details', {}, [h('summary', {}, ['How it failed before']), ...failure]));
    else sec.append(...failure);
    if (s.noValues) sec.append(h('div', { class: 'note' }, [s.noValues]));
    root.append(sec);
  }

  if (s.traceTable) {
    const tt = s.traceTable;
    const sec = h('section', { 'aria-label': 'Trace' }, [h('h3', {}, [`Trace: call ${tt.call + 1} of ${tt.calls}`]), h('div', { class: 'trace-summary' }, [h('code', {}, [tt.summary])])]);
    const table = h('table', { class: 'trace' });
    table.append(h('thead', {}, [h('tr', {}, [h('th', { scope: 'col' }, ['block']), h('th', { scope: 'col' }, ['visit']), ...tt.columns.map((c) => h('th', { scope: 'col' }, [c]))])]));
    const body = h('tbody');
    for (const row of tt.rows) {
      if (row.skippedBefore) body.append(h('tr', { class: 'skipped' }, [h('td', { colspan: String(tt.columns.length + 2) }, [`… ${row.skippedBefore} step${row.skippedBefore === 1 ? '' : 's'} left out …`])]));
      body.append(h('tr', {}, [h('td', { class: 'block-id' }, [row.blockId]), h('td', {}, [String(row.iteration)]), ...row.cells.map((c) => h('td', {}, [c]))]));
    }
    table.append(body);
    // The table keeps its width and scrolls sideways inside the view (keyboard too: it is focusable).
    sec.append(h('div', { class: 'trace-scroll', tabindex: '0', role: 'region', 'aria-label': 'Trace table, scrolls sideways' }, [table]));
    if (tt.rowsLeftOut) sec.append(h('div', { class: 'note' }, [`${tt.rowsLeftOut} more step${tt.rowsLeftOut === 1 ? '' : 's'} not shown.`]));
    for (const n of tt.notes) sec.append(h('div', { class: 'note' }, [n]));
    root.append(sec);
  }

  if (s.explanation || s.testClaim) {
    const sec = h('section', { 'aria-label': 'Explanation' }, [h('h3', {}, [s.test?.fromDiagnostic ? 'Why it is wrong' : 'Why it fails'])]);
    if (s.explanation) sec.append(markdown(s.explanation));
    if (s.testClaim) sec.append(h('div', { class: 'claim', role: 'note' }, [h('strong', {}, ['The model thinks the test may be wrong: ']), ...inline(parseInlineText(s.testClaim)), ' Ducktrace does not edit tests on its own; check the claim yourself.']));
    root.append(sec);
  }

  if (s.hunks.length) root.append(h('section', { 'aria-label': 'Proposed change' }, [h('h3', {}, ['Proposed change']), ...s.hunks.map(hunkView)]));

  if (s.blocks.length) {
    const sec = h('section', { 'aria-label': 'Blocks' }, [h('h3', {}, [s.target ? `Blocks of ${s.target.name}` : 'Blocks'])]);
    for (const b of s.blocks) {
      const mark = b.verdict ? (b.verdict.correct ? '✓' : '✗') : '·';
      const label = b.verdict ? (b.verdict.correct ? 'correct' : 'wrong') : 'not judged yet';
      const head = h('div', { class: 'block-head' }, [
        h('span', { class: `verdict ${b.verdict ? (b.verdict.correct ? 'ok' : 'bad') : 'none'}`, 'aria-label': label, title: label }, [mark]),
        h('span', { class: 'block-id' }, [` ${b.id}`]),
        h('span', { class: 'block-lines' }, [` lines ${b.startLine}–${b.endLine} · ${b.kind}`]),
        b.suspicion !== undefined ? h('span', { class: 'suspicion' }, [` · suspicion ${b.suspicion.toFixed(2)}`]) : null,
      ]);
      const target = s.target;
      if (target) head.addEventListener('click', () => post({ type: 'open', file: target.file, line: b.startLine }));
      const el = h('div', { class: `block ${b.verdict && !b.verdict.correct ? 'wrong' : ''}` }, [head, h('pre', { class: 'code' }, [b.text])]);
      if (b.values?.length) el.append(h('pre', { class: 'values', 'aria-label': 'values after this block' }, [b.values.join('\n')]));
      if (b.verdict) el.append(markdown(b.verdict.why, 'markdown why'));
      sec.append(el);
    }
    root.append(sec);
  }

  // 4. The loop's iterations, newest first; 5. earlier sessions.
  if (s.loop) {
    const t = timeline(s.loop);
    if (t) root.append(t);
  }
  if (idle && !s.loop && !s.earlier?.length && !s.notice) {
    root.append(h('p', { class: 'empty' }, ['Run ', h('strong', {}, ['Explain and Fix']), ' on a failing test to see, block by block, why it fails.']));
  }
  if (s.earlier?.length) root.append(earlierView(s.earlier));
}

window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
  const msg = event.data;
  if (msg?.type === 'state') {
    vscode.setState(msg.state);
    render(msg.state);
  }
});
render(vscode.getState());
post({ type: 'ready' });
