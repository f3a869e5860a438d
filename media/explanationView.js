// The Ducktrace view: renders the session state posted by the extension. Model text is untrusted:
// everything is built with DOM APIs and textContent; the small markdown subset below never
// produces raw HTML. The CSP allows only this nonce'd script and the extension's stylesheet.
// @ts-check
(function () {
  // @ts-ignore acquireVsCodeApi is injected by VS Code
  const vscode = acquireVsCodeApi();
  const root = /** @type {HTMLElement} */ (document.getElementById('root'));

  /** @param {string} tag @param {Record<string,string>} [attrs] @param {(Node|string|null|undefined)[]} [children] */
  function h(tag, attrs = {}, children = []) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    for (const c of children) if (c !== null && c !== undefined) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
    return el;
  }

  /** @param {string} label @param {string} title @param {() => void} onClick @param {string} [cls] */
  function button(label, title, onClick, cls = '') {
    const b = h('button', { type: 'button', title, 'aria-label': title, class: cls }, [label]);
    b.addEventListener('click', onClick);
    return b;
  }

  // Inline markdown: `code`, **bold**, *em*. Text nodes only.
  /** @param {string} text @returns {Node[]} */
  function inline(text) {
    const out = [];
    const re = /(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/g;
    let last = 0;
    for (const m of text.matchAll(re)) {
      if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
      const t = m[0];
      if (t.startsWith('`')) out.push(h('code', {}, [t.slice(1, -1)]));
      else if (t.startsWith('**')) out.push(h('strong', {}, [t.slice(2, -2)]));
      else out.push(h('em', {}, [t.slice(1, -1)]));
      last = m.index + t.length;
    }
    if (last < text.length) out.push(document.createTextNode(text.slice(last)));
    return out;
  }

  // Block markdown: fenced code, headings, bullet and numbered lists, paragraphs.
  /** @param {string} md */
  function markdown(md) {
    const container = h('div', { class: 'markdown' });
    const lines = md.replace(/\r\n/g, '\n').split('\n');
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      const fence = /^\s*(```|~~~)/.exec(line);
      if (fence) {
        const code = [];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith(fence[1])) code.push(lines[i++]);
        i++;
        container.append(h('pre', {}, [h('code', {}, [code.join('\n')])]));
        continue;
      }
      const heading = /^(#{1,4})\s+(.*)$/.exec(line);
      if (heading) {
        container.append(h('h4', {}, inline(heading[2])));
        i++;
        continue;
      }
      if (/^\s*([-*]|\d+[.)])\s+/.test(line)) {
        const ordered = /^\s*\d/.test(line);
        const list = h(ordered ? 'ol' : 'ul');
        while (i < lines.length && /^\s*([-*]|\d+[.)])\s+/.test(lines[i])) {
          list.append(h('li', {}, inline(lines[i].replace(/^\s*([-*]|\d+[.)])\s+/, ''))));
          i++;
        }
        container.append(list);
        continue;
      }
      if (line.trim() === '') {
        i++;
        continue;
      }
      const para = [];
      while (i < lines.length && lines[i].trim() !== '' && !/^\s*(```|~~~|#{1,4}\s|[-*]\s|\d+[.)]\s)/.test(lines[i])) para.push(lines[i++]);
      container.append(h('p', {}, inline(para.join(' '))));
    }
    return container;
  }

  const phaseText = {
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

  /** Iterate Until Green: one entry per iteration, then the summary with "Revert all". @param {any} loop */
  function renderLoop(loop) {
    const sec = h('section', { 'aria-label': 'Iterate until green' }, [h('h3', {}, [`Iterate until green (${loop.mode} mode)`])]);
    if (loop.summary) {
      const sm = loop.summary;
      const box = h('div', { class: `summary summary-${sm.stop}`, role: 'status' }, [h('strong', {}, [sm.message])]);
      box.append(h('div', {}, [`Fixed: ${sm.fixed.length ? sm.fixed.map((/** @type {string} */ id) => id.split('::').pop()).join(', ') : 'none'}`]));
      if (sm.stillFailing.length) {
        const ul = h('ul');
        for (const f of sm.stillFailing) ul.append(h('li', {}, [h('strong', {}, [f.name]), ` — ${f.why}`]));
        box.append(h('div', {}, ['Still failing:']), ul);
      }
      if (sm.changedFiles.length) {
        box.append(h('div', {}, [`Changed: ${sm.changedFiles.join(', ')}`]));
        box.append(button('Revert All Ducktrace Changes', 'Restore the exact contents every changed file had before the loop', () => vscode.postMessage({ type: 'revertAll' })));
      }
      sec.append(box);
    }
    const list = h('ol', { class: 'timeline' });
    for (const e of loop.timeline) {
      const item = h('li', { class: `entry result-${e.result}` }, [h('div', {}, [h('strong', {}, [`${e.test}`]), ` — ${e.result}`]), h('div', { class: 'detail' }, [e.detail])]);
      if (e.summary) item.append(h('div', { class: 'why' }, [e.summary]));
      if (e.diff) {
        const diff = h('pre', { class: 'diff' });
        for (const l of e.diff.split('\n').slice(2)) diff.append(h('div', { class: l.startsWith('+') ? 'add' : l.startsWith('-') ? 'del' : '' }, [l]));
        item.append(h('details', {}, [h('summary', {}, ['Change']), diff]));
      }
      list.append(item);
    }
    if (loop.timeline.length) sec.append(list);
    if (!loop.summary) sec.append(h('p', { class: 'empty' }, [loop.status || 'Running the tests…']));
    return sec;
  }

  /** @param {any} s */
  function render(s) {
    root.replaceChildren();
    if (s && s.loop) root.append(renderLoop(s.loop));
    if (!s || s.phase === 'idle') {
      if (s && s.loop) return;
      root.append(
        h('p', { class: 'empty' }, ['Run ', h('strong', {}, ['Explain and Fix']), ' on a failing test to see, block by block, why it fails.']),
      );
      return;
    }
    const busy = ['locating', 'tracing', 'asking', 'parsing'].includes(s.phase);
    root.append(
      h('div', { class: 'status', role: 'status', 'aria-live': 'polite' }, [
        h('span', { class: `phase phase-${s.phase}` }, [phaseText[s.phase] ?? s.phase]),
        s.status ? h('span', { class: 'detail' }, [` · ${s.status}`]) : null,
      ]),
    );
    const toolbar = h('div', { class: 'toolbar' });
    if (busy) toolbar.append(button('Cancel', 'Cancel the request', () => vscode.postMessage({ type: 'cancel' })));
    else if (s.traceTable) toolbar.append(button('Explain and Fix', 'Ask the model about this failing test, with these values', () => vscode.postMessage({ type: 'explainTraced' })));
    else toolbar.append(button('Retry', 'Ask again from the start', () => vscode.postMessage({ type: 'retry' })));
    if (s.hasPrompt) toolbar.append(button('Show Prompt', 'Show exactly what was sent to the model', () => vscode.postMessage({ type: 'showPrompt' }), 'secondary'));
    root.append(toolbar);

    if (s.error) {
      const err = h('div', { class: 'error', role: 'alert' }, [h('strong', {}, ['Error: ']), s.error.message]);
      if (s.error.action) err.append(' ', button(s.error.action, s.error.action, () => vscode.postMessage({ type: 'action', action: s.error.action })));
      root.append(err);
    }

    if (s.test) {
      const t = s.test;
      const sec = h('section', { 'aria-label': 'Failing test' }, [h('h3', {}, ['Failing test'])]);
      const link = h('a', { href: '#', class: 'location' }, [`${t.name}`]);
      link.addEventListener('click', (e) => {
        e.preventDefault();
        vscode.postMessage({ type: 'open', file: t.file, line: t.line ?? 1 });
      });
      sec.append(h('div', {}, [link]));
      if (t.message) sec.append(h('pre', { class: 'message' }, [t.message]));
      if (t.expected !== undefined || t.actual !== undefined) {
        sec.append(h('div', { class: 'expected' }, [h('span', { class: 'label' }, ['expected ']), h('code', {}, [String(t.expected ?? '')])]));
        sec.append(h('div', { class: 'actual' }, [h('span', { class: 'label' }, ['actual ']), h('code', {}, [String(t.actual ?? '')])]));
      }
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
      sec.append(h('div', { class: 'trace-scroll' }, [table]));
      if (tt.rowsLeftOut) sec.append(h('div', { class: 'note' }, [`${tt.rowsLeftOut} more step${tt.rowsLeftOut === 1 ? '' : 's'} not shown.`]));
      for (const n of tt.notes) sec.append(h('div', { class: 'note' }, [n]));
      root.append(sec);
    }

    if (s.explanation || s.testClaim) {
      const sec = h('section', { 'aria-label': 'Explanation' }, [h('h3', {}, ['Why it fails'])]);
      if (s.explanation) sec.append(markdown(s.explanation));
      if (s.testClaim) sec.append(h('div', { class: 'claim', role: 'note' }, [h('strong', {}, ['The model thinks the test may be wrong: ']), s.testClaim, ' Ducktrace does not edit tests on its own; check the claim yourself.']));
      root.append(sec);
    }

    if (s.hunks && s.hunks.length) {
      const sec = h('section', { 'aria-label': 'Proposed change' }, [h('h3', {}, ['Proposed change'])]);
      s.hunks.forEach((hk, i) => {
        const head = h('div', { class: 'hunk-head' }, [h('span', {}, [`Change ${i + 1} · line ${hk.startLine} · `]), h('span', { class: `state state-${hk.state}` }, [hk.state])]);
        if (hk.outsideTarget) head.append(h('span', { class: 'flag' }, [' · outside the target function']));
        if (hk.state === 'pending') {
          head.append(button('Accept', `Accept change ${i + 1}`, () => vscode.postMessage({ type: 'accept', hunkId: hk.id })));
          head.append(button('Reject', `Reject change ${i + 1}`, () => vscode.postMessage({ type: 'reject', hunkId: hk.id }), 'secondary'));
        }
        const diff = h('pre', { class: 'diff' });
        for (const l of hk.oldText.replace(/\r?\n$/, '').split(/\r?\n/)) if (hk.oldText) diff.append(h('div', { class: 'del' }, [`- ${l}`]));
        for (const l of hk.newText.replace(/\r?\n$/, '').split(/\r?\n/)) if (hk.newText) diff.append(h('div', { class: 'add' }, [`+ ${l}`]));
        sec.append(h('div', { class: 'hunk' }, [head, diff]));
      });
      root.append(sec);
    }

    if (s.blocks && s.blocks.length) {
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
        head.addEventListener('click', () => s.target && vscode.postMessage({ type: 'open', file: s.target.file, line: b.startLine }));
        const el = h('div', { class: `block ${b.verdict && !b.verdict.correct ? 'wrong' : ''}` }, [head, h('pre', { class: 'code' }, [b.text])]);
        if (b.values && b.values.length) el.append(h('pre', { class: 'values', 'aria-label': 'values after this block' }, [b.values.join('\n')]));
        if (b.verdict) el.append(h('div', { class: 'why' }, [b.verdict.why]));
        sec.append(el);
      }
      root.append(sec);
    }
  }

  window.addEventListener('message', (event) => {
    const msg = event.data;
    if (msg && msg.type === 'state') {
      vscode.setState(msg.state);
      render(msg.state);
    }
  });
  render(vscode.getState());
  vscode.postMessage({ type: 'ready' });
})();
