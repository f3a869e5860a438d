// Issue 15, item 3: the Ducktrace view shows the present. After Explain and Fix and an Accept, it
// says that the test now passes (and its "Explain and fix" CodeLens goes); the model's markdown is
// rendered, not shown raw; after an Iterate Until Green and Revert All, the loop's summary no
// longer offers to revert, and the next session shows on top with the loop below it.
import { startScriptedModelServer } from '../support/scriptedModelServer.mjs';
import { codeLens, ducktraceView, openFile, openWorkbench, toast, until } from './workbench.mjs';

const answer = (code, summary, why) => JSON.stringify({ summary, verdicts: [{ blockId: 'b1', correct: false, why }], fix: { kind: 'function', code } });
const applyDiscount = (divisor) =>
  ['def apply_discount(price, percent):', '    """Return the price after taking `percent` percent off, never below zero."""', '    if percent <= 0:', '        return price', `    discounted = price - price * percent / ${divisor}`, '    return max(discounted, 0)'].join('\n');
const total = ['def total(items):', '    """Sum of quantity * unit price over (name, quantity, unit_price) items."""', '    result = 0', '    for _name, quantity, unit_price in items:', '        result += quantity * unit_price', '    return result'].join('\n');
const pricingWithTotalBug = (text) => text.replace('result += quantity * unit_price', 'result += unit_price');

export async function ducktraceViewShowsThePresent({ extensionsDir, shots }) {
  const model = await startScriptedModelServer({
    routes: [
      { when: 'def apply_discount(price, percent)', reply: answer(applyDiscount(100), '**Explanation.** The discount divides `percent` by **10** instead of 100.', 'Divides by `10`.'), repeat: true },
      { when: 'def total(items)', reply: answer(total, '`total` adds the unit price once, whatever the **quantity**.', 'Ignores `quantity`.'), repeat: true },
    ],
  });
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { repoRoot } = await import('./workbench.mjs');
  const pricing = pricingWithTotalBug(readFileSync(join(repoRoot, 'test/fixtures/workspace/pricing.py'), 'utf8'));
  const wb = await openWorkbench({
    name: 'view',
    extensionsDir,
    shots,
    files: { 'pricing.py': pricing, 'test_pricing.py': 'from:test_pricing.py', 'pytest.ini': 'from:pytest.ini' },
    settings: { 'ducktrace.model.provider': 'openaiCompatible', 'ducktrace.openai.baseUrl': model.baseURL, 'ducktrace.openai.model': 'scripted-model', 'ducktrace.iterate.mode': 'auto' },
  });
  const { page } = wb;
  const view = ducktraceView(page);
  try {
    // 1. Explain and Fix from the CodeLens, Accept: the view says the test now passes.
    await wb.command('Test: Run All Tests');
    await openFile(page, 'test_pricing.py');
    const explainLens = codeLens(page, 'Explain and fix with Ducktrace');
    await until('two "Explain and fix" CodeLenses (two failing tests)', async () => (await explainLens.count()) === 2, 180_000);
    await explainLens.first().click();
    await codeLens(page, 'Accept').first().waitFor({ timeout: 120_000 });
    // Rendered markdown: bold and code are elements, no asterisks or backticks left.
    const why = view.locator('section[aria-label="Explanation"] .markdown');
    await why.waitFor({ timeout: 30_000 });
    if ((await why.locator('strong').count()) < 2 || (await why.locator('code').count()) < 1) throw new Error(`the explanation is not rendered: ${await why.innerHTML()}`);
    if (/\*\*|`/.test(await why.innerText())) throw new Error(`raw markdown in the explanation: ${await why.innerText()}`);
    await codeLens(page, 'Accept').first().click();
    await view.locator('.rerun-passed', { hasText: 'Passes after the change' }).waitFor({ timeout: 120_000 });
    await view.locator('.status', { hasText: 'now passes' }).waitFor({ timeout: 10_000 });
    await openFile(page, 'test_pricing.py');
    await until('the "Explain and fix" CodeLens of the test that now passes to go', async () => (await explainLens.count()) === 1, 60_000);
    await page.waitForTimeout(500);
    await wb.shot('view-now-passes');

    // 2. Iterate Until Green (auto) fixes total; Revert All puts it back; the summary stops offering it.
    await wb.command('Ducktrace: Iterate Until Green');
    await view.locator('.summary', { hasText: 'All tests pass' }).waitFor({ timeout: 240_000 });
    await view.locator('.summary button', { hasText: 'Revert All Ducktrace Changes' }).click();
    await view.locator('.summary .reverted').waitFor({ timeout: 30_000 });
    if (await view.locator('.summary button', { hasText: 'Revert All' }).count()) throw new Error('the summary still offers Revert All after the revert');
    // The loop's last session no longer claims its test passes: the change was undone.
    await view.locator('.status', { hasText: 'Reverted' }).waitFor({ timeout: 10_000 });
    if (await view.locator('.rerun-passed').count()) throw new Error('the view still says the test passes after its change was reverted');
    if (!wb.read('pricing.py').includes('result += unit_price')) throw new Error('Revert All did not restore pricing.py');
    await toast(page, 'restored').first().waitFor({ timeout: 15_000 }).catch(() => undefined);
    await page.waitForTimeout(500);
    await wb.shot('view-after-revert-all');

    // 3. A new Explain and Fix: its status and Cancel are on top; the loop moved below, folded.
    await wb.command('Test: Run All Tests');
    await openFile(page, 'test_pricing.py');
    await until('the "Explain and fix" CodeLens of test_total again', async () => (await explainLens.count()) === 1, 180_000);
    await explainLens.first().click();
    await codeLens(page, 'Accept').first().waitFor({ timeout: 120_000 });
    const order = await view.locator('#root > *').evaluateAll((els) => els.map((e) => e.className || e.getAttribute('aria-label') || e.tagName));
    const status = order.findIndex((c) => /status/.test(c));
    const earlier = order.findIndex((c) => /Earlier/.test(c) || /earlier/.test(c));
    if (status !== 0) throw new Error(`the new session is not on top: ${order.join(' | ')}`);
    if (earlier < 0 || earlier < order.length - 1) throw new Error(`the loop is not below, as an earlier session: ${order.join(' | ')}`);
    if (await view.locator('.summary').count()) throw new Error('the old loop summary is still shown open above the new session');
    await page.waitForTimeout(500);
    await wb.shot('view-new-session-on-top');
  } finally {
    await wb.close();
    await model.close();
  }
}
