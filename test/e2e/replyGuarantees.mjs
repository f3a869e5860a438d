// What a model's reply may and may not do, in the real editor: the packaged extension in VS Code
// 1.100.3 (server + web workbench), the sample workspace's failing pytest test, and a scripted
// OpenAI-compatible model server answering Explain and Fix.
// - A fix that deletes another function of the file is refused: the Ducktrace view says which
//   function it would have deleted, and pricing.py is byte-identical afterwards.
// - An answer in plain markdown that numbers the blocks from 0 shows ✓/✗ on the right blocks in the
//   view and in the editor's gutter.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startScriptedModelServer } from '../support/scriptedModelServer.mjs';
import { repoRoot, startServer, tempDir } from '../support/vscodeServer.mjs';
import { ducktraceLog } from './workbench.mjs';

/** A SEARCH/REPLACE answer whose search runs on into `total` and whose replace leaves it out. */
export const deletingReply = [
  'SUMMARY: `percent` is a percentage, so the discount must divide by 100, not 10.',
  '',
  '<<<<<<< SEARCH',
  '    discounted = price - price * percent / 10  # bug: percent is out of 100',
  '    return max(discounted, 0)',
  '',
  '',
  'def total(items):',
  '    """Sum of quantity * unit price over (name, quantity, unit_price) items."""',
  '    result = 0',
  '    for _name, quantity, unit_price in items:',
  '        result += quantity * unit_price',
  '    return result',
  '=======',
  '    discounted = price - price * percent / 100',
  '    return max(discounted, 0)',
  '>>>>>>> REPLACE',
].join('\n');

/** A plain-markdown answer counting apply_discount's four blocks from 0 (no JSON, no VERDICT lines). */
export const markdownFromZeroReply = [
  "Here's what happens in `apply_discount` for `apply_discount(80, 10)`:",
  '',
  'Block 0: CORRECT — the docstring states the intent: take `percent` percent off, never below zero.',
  'Block 1: CORRECT — `percent <= 0` is false for 10, so the function goes on.',
  'Block 2: CORRECT — not reached; returning the price unchanged is right for no discount.',
  'Block 3: INCORRECT — `price * percent / 10` takes 80 off instead of 8, so the result is 0, not 72.',
  '',
  '```python',
  'def apply_discount(price, percent):',
  '    """Return the price after taking `percent` percent off, never below zero."""',
  '    if percent <= 0:',
  '        return price',
  '    discounted = price - price * percent / 100',
  '    return max(discounted, 0)',
  '```',
].join('\n');

/** The Ducktrace view's webview frame, once it shows `text`. */
async function viewFrameWith(page, text, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const frame of page.frames()) {
      const found = await frame
        .evaluate((t) => !!document.querySelector('#root, body') && document.body.innerText.includes(t), text)
        .catch(() => false);
      if (found) return frame;
    }
    if (Date.now() > deadline) return undefined;
    await page.waitForTimeout(500);
  }
}

/**
 * Opens a copy of the sample workspace's Python half with the model server configured, runs its
 * tests, and starts Explain and Fix on test_ten_percent_off from the command palette.
 */
async function explainFailingTest({ runCommand, launchBrowser, extensionsDir, shots, tag, replies }) {
  const work = tempDir(`e2e-${tag}`);
  const userDataDir = join(work, 'user-data');
  const workspace = join(work, 'workspace');
  mkdirSync(workspace, { recursive: true });
  for (const name of ['pricing.py', 'test_pricing.py', 'pytest.ini']) cpSync(join(repoRoot, 'test/fixtures/workspace', name), join(workspace, name));
  const model = await startScriptedModelServer({ steps: replies.map((reply) => ({ reply })) });
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'Machine/settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'workbench.tips.enabled': false }));
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ 'ducktrace.model.provider': 'openaiCompatible', 'ducktrace.openai.baseUrl': model.baseURL, 'ducktrace.openai.model': 'scripted-model' }));
  const server = await startServer({ userDataDir, extensionsDir, logFile: join(shots, `server-${tag}.log`) });
  const browser = await launchBrowser();
  const close = async () => {
    await browser.close();
    await server.stop();
    await model.close();
  };
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url(workspace));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.getByRole('treeitem', { name: 'pricing.py', exact: true }).waitFor({ timeout: 60_000 });
    // Ducktrace learns the failure from a test run; until it has, its picker says it knows none.
    // On a busy machine the test commands show only once the extensions have activated: keep trying.
    const deadline = Date.now() + 240_000;
    for (;;) {
      const ran = await runCommand(page, 'Test: Run All Tests').then(() => true, (err) => {
        if (Date.now() > deadline) throw err;
        return false;
      });
      if (!ran) continue;
      await page.waitForTimeout(3000);
      await runCommand(page, 'Ducktrace: Explain and Fix');
      // With one failing test Ducktrace starts on it at once; with several it asks which.
      const started = () => ducktraceLog(userDataDir).some((l) => /Explain and fix: test_ten_percent_off/.test(l));
      const item = page.locator('.quick-input-list .monaco-list-row', { hasText: 'test_ten_percent_off' }).first();
      let offered = false;
      for (const until = Date.now() + 10_000; Date.now() < until && !offered && !started(); ) {
        offered = await item.isVisible();
        if (!offered) await page.waitForTimeout(250);
      }
      if (offered) await item.click();
      if (offered || started()) break;
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error('Ducktrace never offered test_ten_percent_off to explain after running the tests');
    }
    return { page, model, workspace, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** (a) A reply that deletes another function: refused, its reason in the view, the file unchanged. */
export async function refusesFixDeletingAnotherFunction({ runCommand, launchBrowser, extensionsDir, shots }) {
  const { page, model, workspace, close } = await explainFailingTest({ runCommand, launchBrowser, extensionsDir, shots, tag: 'deleting-fix', replies: [deletingReply, deletingReply] });
  try {
    const pricing = join(workspace, 'pricing.py');
    const original = readFileSync(pricing);
    const message = 'would delete the function `total` (line 12); only `apply_discount` may change';
    const frame = await viewFrameWith(page, message, 240_000);
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(shots, 'reply-deleting-fix-refused.png') });
    if (!frame) throw new Error(`the Ducktrace view never said "${message}" (model asked ${model.requests.length} times)`);
    if (model.requests.length !== 2) throw new Error(`the refusal should go back to the model once: ${model.requests.length} requests`);
    const reask = model.requests[1].body.messages.at(-1).content;
    if (!reask.includes(message)) throw new Error(`the re-ask does not give the reason:\n${reask}`);
    // Nothing was proposed: no inline diff, no dirty editor, and the file on disk is byte-identical.
    await page.waitForTimeout(2000);
    if (!readFileSync(pricing).equals(original)) throw new Error(`pricing.py changed:\n${readFileSync(pricing, 'utf8')}`);
    const dirty = await page.locator('.tabs-container .tab.dirty').count();
    if (dirty) throw new Error(`${dirty} editor tab(s) have unsaved changes`);
    if (!(await page.locator('.monaco-editor .view-line', { hasText: 'def total(items):' }).count())) throw new Error('the editor no longer shows def total(items)');
  } finally {
    await close();
  }
}

/** (b) A plain-markdown answer numbering blocks from 0: ✓ on b1-b3 and ✗ on b4, in the view and the gutter. */
export async function showsVerdictsOfMarkdownFromZero({ runCommand, launchBrowser, extensionsDir, shots }) {
  const { page, close } = await explainFailingTest({ runCommand, launchBrowser, extensionsDir, shots, tag: 'markdown-verdicts', replies: [markdownFromZeroReply] });
  try {
    const frame = await viewFrameWith(page, 'takes 80 off instead of 8', 240_000);
    if (!frame) {
      await page.screenshot({ path: join(shots, 'reply-markdown-verdicts-failure.png') });
      throw new Error('the Ducktrace view never showed the answer');
    }
    // The view: one mark per block, in order.
    const marks = await frame.evaluate(() => [...document.querySelectorAll('.verdict')].map((e) => e.textContent.trim()));
    if (marks.join('') !== '✓✓✓✗') throw new Error(`the view's block verdicts are ${JSON.stringify(marks)}, expected ✓✓✓✗ for b1-b4`);
    // The gutter: the verdict icons on the lines where the blocks start (b1 5, b2 6, b3 7, b4 8).
    const editorPane = page.locator('.editor-instance .monaco-editor', { hasText: 'def apply_discount' }).first();
    await editorPane.waitFor({ timeout: 30_000 });
    let gutter = {};
    const deadline = Date.now() + 30_000;
    for (;;) {
      // Whatever element draws an icon, its line is the line number drawn at the same height.
      gutter = await editorPane.evaluate((editor) => {
        const numbers = [...editor.querySelectorAll('.line-numbers')].map((e) => ({ line: e.textContent.trim(), top: e.getBoundingClientRect().top }));
        const out = {};
        for (const el of editor.querySelectorAll('.margin *')) {
          const image = getComputedStyle(el).backgroundImage;
          if (!image.includes('verdict-')) continue;
          const top = el.getBoundingClientRect().top;
          const row = numbers.find((n) => Math.abs(n.top - top) < 4);
          if (row) out[row.line] = image.includes('verdict-bad') ? 'bad' : 'ok';
        }
        return out;
      });
      if (Object.keys(gutter).length >= 4 || Date.now() > deadline) break;
      await page.waitForTimeout(500);
    }
    await page.waitForTimeout(800);
    await page.screenshot({ path: join(shots, 'reply-markdown-verdicts-from-zero.png') });
    // The view's blocks, scrolled into sight, for the record.
    await frame.evaluate(() => document.querySelectorAll('.verdict')[0]?.scrollIntoView());
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(shots, 'reply-markdown-verdicts-view-blocks.png') });
    const want = { 5: 'ok', 6: 'ok', 7: 'ok', 8: 'bad' };
    for (const [line, verdict] of Object.entries(want)) {
      if (gutter[line] !== verdict) throw new Error(`the gutter shows ${JSON.stringify(gutter)}; expected ${JSON.stringify(want)}`);
    }
  } finally {
    await close();
  }
}
