// Issue 15, items 9 and 6: a proposal with three hunks, settled in the real editor with its
// CodeLenses (Accept the first, Reject the second, Accept the third), then Ctrl+Z: each accepted
// hunk is its own undo step, and the file ends exactly as expected. And the panel the user had
// open (the terminal) stays: a proposal does not open the Comments panel.
import { startScriptedModelServer } from '../support/scriptedModelServer.mjs';
import { codeLens, openFile, openWorkbench, until } from './workbench.mjs';

const stats = [
  'def summary(xs):',
  '    """Mean, smallest and largest of a non-empty list."""',
  '    total = 1',
  '    for x in xs:',
  '        total += x',
  '    lo = max(xs)',
  '    hi = max(xs)',
  '    count = len(xs)',
  '    mean = total / count',
  '    return (mean, hi, lo)',
  '',
].join('\n');
const fixedFunction = stats
  .replace('    total = 1', '    total = 0')
  .replace('    lo = max(xs)', '    lo = min(xs)')
  .replace('    return (mean, hi, lo)', '    return (mean, lo, hi)')
  .trimEnd();
const tests = ['from stats import summary', '', '', 'def test_summary():', '    assert summary([1, 2, 3]) == (2, 1, 3)', ''].join('\n');
const reply = JSON.stringify({ summary: 'Three slips: the total starts at 1, the minimum uses max, and the result is out of order.', verdicts: [{ blockId: 'b1', correct: false, why: 'total starts at 1' }], fix: { kind: 'function', code: fixedFunction } });

/** The text after Accept (hunk 1), Reject (hunk 2), Accept (hunk 3). */
const acceptedOneAndThree = stats.replace('    total = 1', '    total = 0').replace('    return (mean, hi, lo)', '    return (mean, lo, hi)');
/** ... and then one Undo: the third accept is undone, the first stays. */
const afterUndo = stats.replace('    total = 1', '    total = 0');

export async function multiHunkReview({ extensionsDir, shots }) {
  const model = await startScriptedModelServer({ steps: [{ reply }] });
  const wb = await openWorkbench({
    name: 'multi-hunk',
    extensionsDir,
    shots,
    files: { 'stats.py': stats, 'test_stats.py': tests, 'pytest.ini': '[pytest]\n' },
    // No rerun after the last hunk: the test is about the text, and the file stays the user's to save.
    settings: { 'ducktrace.model.provider': 'openaiCompatible', 'ducktrace.openai.baseUrl': model.baseURL, 'ducktrace.openai.model': 'scripted-model', 'ducktrace.review.saveAndRerun': false },
  });
  const { page } = wb;
  try {
    await wb.command('Test: Run All Tests');
    // The user's panel: the terminal.
    await wb.command('View: Toggle Terminal');
    await page.locator('.part.panel .terminal-wrapper, .part.panel .xterm').first().waitFor({ timeout: 30_000 });
    await openFile(page, 'test_stats.py');
    const explain = codeLens(page, 'Explain and fix with Ducktrace').first();
    await explain.waitFor({ timeout: 180_000 });
    await explain.click();
    const accept = codeLens(page, 'Accept');
    await until('three Accept CodeLenses', async () => (await accept.count()) === 3, 120_000);
    await page.waitForTimeout(1500);
    await wb.shot('multi-hunk-proposed');
    const activePanel = (await page.locator('.part.panel .composite-bar .action-item.checked').first().innerText()).trim();
    if (!/terminal/i.test(activePanel)) throw new Error(`the proposal changed the panel the user had open to "${activePanel}"`);
    if (await page.locator('.part.panel .comments-panel').count()) throw new Error('the Comments panel opened for the proposal');

    // Accept 1, Reject 2, Accept 3 (each time the first lens left is the next hunk).
    await accept.first().click();
    await until('the first hunk to be applied', () => wb.log().some((l) => /Accepted p1\.h1 /.test(l)), 30_000);
    await until('two Accept CodeLenses', async () => (await accept.count()) === 2, 30_000);
    await codeLens(page, 'Reject').first().click();
    await until('the second hunk to be rejected', () => wb.log().some((l) => /Rejected p1\.h2 /.test(l)), 30_000);
    await until('one Accept CodeLens', async () => (await accept.count()) === 1, 30_000);
    await accept.first().click();
    await until('no Accept CodeLens', async () => (await accept.count()) === 0, 30_000);
    const text = async () => page.evaluate(() => {
      // The editor's model through the DOM is not reachable; read the visible lines instead.
      return [...document.querySelectorAll('.editor-instance .monaco-editor .view-lines .view-line')].map((l) => l.textContent).join('\n');
    });
    await wb.command('File: Save');
    await until('the save', () => wb.read('stats.py') === acceptedOneAndThree, 15_000).catch(async () => {
      throw new Error(`after Accept, Reject, Accept the file is not as expected:\n${wb.read('stats.py')}\n--- visible ---\n${await text()}`);
    });
    // Undo: the third hunk's accept alone is undone, in the file's own editor. A compare editor
    // "stats.py (in file) ↔ stats.py" was seen active here: the palette had run "File: Compare
    // Active File with Saved" for "File: Save" (Enter took the focused row; runCommand now waits for
    // the exact title). Should one still be there, Ctrl+Z in it would change nothing: close it.
    if (await page.locator('.tabs-container .tab.active', { hasText: '↔' }).count()) await wb.command('View: Close Editor');
    await openFile(page, 'stats.py');
    await page.locator('.editor-instance .view-line', { hasText: 'def summary' }).first().click();
    await page.keyboard.press('Control+Z');
    await until('the undo', async () => (await page.locator('.editor-instance .view-line', { hasText: 'return (mean, hi, lo)' }).count()) > 0, 15_000).catch(async (err) => {
      await wb.shot('multi-hunk-undo-failed');
      throw err;
    });
    await wb.command('File: Save');
    await until('the undo to be saved', () => wb.read('stats.py') === afterUndo, 15_000).catch(() => {
      throw new Error(`after Undo the file is not as expected:\n${wb.read('stats.py')}`);
    });
    await page.waitForTimeout(500);
    await wb.shot('multi-hunk-after-undo');
  } finally {
    await wb.close();
    await model.close();
  }
}
