// Issue 15, item 2: "Explain and fix with Ducktrace" on an error diagnostic. TypeScript reports
// "Cannot find name 'summ'" inside a function that no test reaches: the Quick Fix is offered
// there (and not on an error outside any function), and choosing it explains and fixes the
// function from its blocks and the error alone, saying that no values were recorded.
import { startScriptedModelServer } from '../support/scriptedModelServer.mjs';
import { codeLens, ducktraceView, goToLine, openFile, openWorkbench, until } from './workbench.mjs';

const stats = `export function mean(xs: number[]): number {
  let sum = 0;
  for (const x of xs) {
    sum += x;
  }
  return summ / xs.length;
}

export const answer: number = 'forty-two';
`;
const fixedMean = 'export function mean(xs: number[]): number {\n  let sum = 0;\n  for (const x of xs) {\n    sum += x;\n  }\n  return sum / xs.length;\n}';
const reply = JSON.stringify({ summary: '`summ` is a typo for `sum`: the name does not exist, so the function cannot run.', verdicts: [{ blockId: 'b3', correct: false, why: 'Uses `summ`.' }], fix: { kind: 'function', code: fixedMean } });

// A test file of the project (Ducktrace activates for projects with tests); it does not reach mean.
const otherTest = `'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');

test('arithmetic', () => {
  assert.equal(1 + 1, 2);
});
`;

export async function diagnosticQuickFix({ extensionsDir, shots }) {
  const model = await startScriptedModelServer({ steps: [{ reply }] });
  const wb = await openWorkbench({
    name: 'diagnostic',
    extensionsDir,
    shots,
    files: { 'package.json': JSON.stringify({ name: 'numbers', private: true, scripts: { test: 'node --test' } }), 'src/stats.ts': stats, 'test/arith.test.js': otherTest },
    settings: { 'ducktrace.model.provider': 'openaiCompatible', 'ducktrace.openai.baseUrl': model.baseURL, 'ducktrace.openai.model': 'scripted-model' },
  });
  const { page } = wb;
  /** The Quick Fix menu's entries with the cursor at `line:column` (none: VS Code says so). */
  // The language server may still be busy the first time: "no code actions" is asked again.
  const quickFixes = async (line, column) => {
    for (let attempt = 1; ; attempt++) {
      await page.keyboard.press('Escape');
      await goToLine(page, `${line}:${column}`);
      await page.keyboard.press('Control+.');
      const menu = page.locator('.action-widget');
      const none = page.locator('.monaco-editor-overlaymessage', { hasText: /No code actions|No quick fixes/ });
      const shown = await until('the Quick Fix menu or "no code actions"', async () => ((await menu.isVisible()) ? 'menu' : (await none.isVisible()) ? 'none' : undefined), 30_000);
      if (shown === 'menu') {
        await page.waitForTimeout(1000); // every provider's answer is in
        const items = await menu.locator('.action-item, .monaco-list-row').allInnerTexts();
        return items.map((t) => t.trim()).filter(Boolean);
      }
      if (attempt === 3) return [];
      await page.waitForTimeout(3000);
    }
  };
  try {
    await wb.command('Ducktrace: Show Log'); // activates Ducktrace (the project has a test file too)
    await openFile(page, 'src/stats.ts');
    await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 120_000 });
    await until('both TypeScript errors', async () => (await page.locator('.monaco-editor .squiggly-error').count()) >= 2, 60_000);
    // Outside any function: no Ducktrace action.
    const outside = await quickFixes(9, 14);
    if (outside.some((t) => /Ducktrace/.test(t))) throw new Error(`offered outside a function: ${outside.join(', ')}`);
    await page.keyboard.press('Escape');
    // Inside mean: offered; choosing it explains and fixes without a test.
    const inside = await quickFixes(6, 10);
    await wb.shot('diagnostic-quick-fix-menu');
    if (!inside.some((t) => /Explain and fix with Ducktrace/.test(t))) throw new Error(`not offered inside mean: ${inside.join(', ')}`);
    // Chosen with the keyboard, as the menu wants (a pointer block covers it while it settles).
    for (let i = 0; i < 12 && !(await page.locator('.action-widget .monaco-list-row.focused[aria-label="Explain and fix with Ducktrace"]').count()); i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await codeLens(page, 'Accept').first().waitFor({ timeout: 120_000 });
    const view = ducktraceView(page);
    await view.locator('.note', { hasText: 'no values were recorded' }).waitFor({ timeout: 30_000 });
    await view.locator('section[aria-label="Error"]', { hasText: "Cannot find name 'summ'" }).waitFor({ timeout: 10_000 });
    await page.waitForTimeout(600);
    await wb.shot('diagnostic-explained');
    const sent = JSON.stringify(model.requests[0]?.body.messages ?? []);
    if (!sent.includes("Cannot find name 'summ'")) throw new Error('the prompt does not carry the diagnostic');
    if (wb.log().some((l) => /found no function of this workspace/.test(l))) throw new Error('the pipeline did not find the function of the diagnostic');
    await codeLens(page, 'Accept').first().click();
    await until('the fix to land', async () => (await page.locator('.view-lines', { hasText: 'return sum / xs.length' }).count()) > 0, 30_000);
  } finally {
    await wb.close();
    await model.close();
  }
}
