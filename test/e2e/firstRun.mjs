// Issue 15, item 4: the first Explain and Fix with no model set up. Ducktrace must say so before
// it reruns the test under the tracer (not after it), in a toast that names Ducktrace once, and
// once the user has chosen a model from that toast the interrupted request goes on by itself.
import { startScriptedModelServer } from '../support/scriptedModelServer.mjs';
import { codeLens, ducktraceView, openFile, openWorkbench, toast, until } from './workbench.mjs';

const fixed = [
  'def apply_discount(price, percent):',
  '    """Return the price after taking `percent` percent off, never below zero."""',
  '    if percent <= 0:',
  '        return price',
  '    discounted = price - price * percent / 100',
  '    return max(discounted, 0)',
].join('\n');
const reply = JSON.stringify({
  summary: 'The discount divides `percent` by **10** instead of 100.',
  verdicts: [{ blockId: 'b4', correct: false, why: 'Divides by 10.' }],
  fix: { kind: 'function', code: fixed },
});

export async function firstRunWithoutModel({ extensionsDir, shots }) {
  const model = await startScriptedModelServer({ steps: [{ reply }] });
  const wb = await openWorkbench({
    name: 'first-run',
    extensionsDir,
    shots,
    files: { 'pricing.py': 'from:pricing.py', 'test_pricing.py': 'from:test_pricing.py', 'pytest.ini': 'from:pytest.ini' },
  });
  const { page } = wb;
  try {
    await wb.command('Test: Run All Tests');
    await openFile(page, 'test_pricing.py');
    const lens = codeLens(page, 'Explain and fix with Ducktrace').first();
    await lens.waitFor({ timeout: 180_000 });
    await lens.click();
    const needs = toast(page, 'needs a model').first();
    await needs.waitFor({ timeout: 60_000 });
    const text = (await needs.locator('.notification-list-item-message').innerText()).replace(/\s+/g, ' ').trim();
    await page.waitForTimeout(600);
    await wb.shot('first-run-needs-a-model');
    if (/Ducktrace:\s*Ducktrace/.test(text)) throw new Error(`the toast names Ducktrace twice: ${text}`);
    if (!/^Ducktrace needs a model/.test(text)) throw new Error(`unexpected toast: ${text}`);
    // Said before the test was rerun under the tracer, not after it.
    const log = wb.log();
    if (log.some((l) => /Traced apply_discount/.test(l))) throw new Error(`the test was traced before Ducktrace said it needs a model:\n${log.join('\n')}`);

    // Choose Model -> an OpenAI-compatible endpoint -> its URL and model -> no key needed.
    await needs.locator('.monaco-button', { hasText: 'Choose Model' }).click();
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'OpenAI-compatible endpoint…' }).first().click({ timeout: 15_000 });
    await until('the base URL box', async () => (await input.getAttribute('title')) !== null || (await page.locator('.quick-input-title', { hasText: 'base URL' }).count()) > 0, 15_000);
    await input.fill(model.baseURL);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-title', { hasText: 'model' }).first().waitFor({ timeout: 15_000 });
    await input.fill('scripted-model');
    await page.keyboard.press('Enter');
    const keyQuestion = toast(page, 'need an API key').first();
    await keyQuestion.waitFor({ timeout: 15_000 });
    await keyQuestion.locator('.monaco-button', { hasText: 'No Key Needed' }).click();

    // The interrupted request continues: no Retry click.
    await codeLens(page, 'Accept').first().waitFor({ timeout: 120_000 });
    if (model.requests.length !== 1) throw new Error(`the model was asked ${model.requests.length} times, expected once`);
    const view = ducktraceView(page);
    await view.locator('.phase', { hasText: 'Fix proposed' }).waitFor({ timeout: 30_000 });
    await page.waitForTimeout(600);
    await wb.shot('first-run-continued');
    const after = wb.log();
    if (!after.some((l) => /Continuing the interrupted Explain and Fix/.test(l))) throw new Error(`the log does not say the request continued:\n${after.slice(-20).join('\n')}`);
  } finally {
    await wb.close();
    await model.close();
  }
}
