// Issue 15, item 1: Iterate Until Green on a JavaScript project in review mode, as a user drives it:
// the palette starts it, each proposal is accepted by clicking its "Accept" CodeLens. It must save
// each accepted change before the tests rerun (no "could not save … unsaved" while a save is still
// running, no rerun on the old file), drop the Accept CodeLens of an applied hunk at once, and end
// with a report that matches `node --test` run afterwards on the files on disk.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startScriptedModelServer } from '../support/scriptedModelServer.mjs';
import { codeLens, openFile, openWorkbench, repoRoot, toast, until } from './workbench.mjs';

const cart = `'use strict';

/** Sum of price * quantity over the items. */
function subtotal(items) {
  let sum = 0;
  for (const item of items) {
    sum += item.price;
  }
  return sum;
}

/** The amount after a coupon of \`percent\` percent off (no coupon: unchanged). */
function applyCoupon(amount, coupon) {
  if (!coupon) return amount;
  return amount - coupon.percent;
}

function total(items, coupon) {
  return applyCoupon(subtotal(items), coupon);
}

module.exports = { subtotal, applyCoupon, total };
`;

const cartTests = `'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { subtotal, applyCoupon, total } = require('../src/cart');

test('subtotal of single items', () => {
  assert.equal(subtotal([{ price: 3, quantity: 1 }, { price: 4, quantity: 1 }]), 7);
});

test('subtotal counts quantities', () => {
  assert.equal(subtotal([{ price: 3, quantity: 2 }, { price: 5, quantity: 1 }]), 11);
});

test('no coupon leaves the amount', () => {
  assert.equal(applyCoupon(200, undefined), 200);
});

test('a ten percent coupon', () => {
  assert.equal(applyCoupon(200, { percent: 10 }), 180);
});

test('total without a coupon', () => {
  assert.equal(total([{ price: 2, quantity: 1 }]), 2);
});
`;

const answer = (code, summary) => JSON.stringify({ summary, verdicts: [{ blockId: 'b1', correct: false, why: summary }], fix: { kind: 'function', code } });
const fixSubtotal = 'function subtotal(items) {\n  let sum = 0;\n  for (const item of items) {\n    sum += item.price * item.quantity;\n  }\n  return sum;\n}';
const fixCoupon = 'function applyCoupon(amount, coupon) {\n  if (!coupon) return amount;\n  return amount - (amount * coupon.percent) / 100;\n}';

export async function iterateJavaScriptReview({ extensionsDir, shots }) {
  // Each answer takes a moment: the time between an Accept and the next proposal shows whether
  // the applied hunk's CodeLens went away.
  const model = await startScriptedModelServer({
    routes: [
      { when: 'function subtotal(items)', delayMs: 3000, reply: answer(fixSubtotal, '**subtotal** adds `item.price` and ignores `item.quantity`.') },
      { when: 'function applyCoupon(amount, coupon)', delayMs: 3000, reply: answer(fixCoupon, '**applyCoupon** subtracts the percent as if it were an amount.') },
    ],
  });
  const wb = await openWorkbench({
    name: 'iterate-js',
    extensionsDir,
    shots,
    files: { 'package.json': JSON.stringify({ name: 'shop', private: true, scripts: { test: 'node --test' } }, null, 2), 'src/cart.js': cart, 'test/cart.test.js': cartTests },
    settings: { 'ducktrace.model.provider': 'openaiCompatible', 'ducktrace.openai.baseUrl': model.baseURL, 'ducktrace.openai.model': 'scripted-model', 'ducktrace.iterate.mode': 'review' },
    // Saving takes a moment, as with a formatter or linter on save: a second save racing the first shows.
    devExtensions: [join(repoRoot, 'test/e2e/slow-save-extension')],
  });
  const { page } = wb;
  try {
    await openFile(page, 'src/cart.js');
    await wb.command('Ducktrace: Iterate Until Green');
    for (let round = 1; round <= 2; round++) {
      const accept = codeLens(page, 'Accept').first();
      await accept.waitFor({ timeout: 180_000 });
      await page.waitForTimeout(500);
      await wb.shot(`iterate-js-review-proposal-${round}`);
      await accept.click();
      // The applied hunk's CodeLens goes with the edit, not only once the next proposal comes.
      const nextShown = () => wb.log().some((l) => l.includes(`Proposal p${round + 1} `) || /Iterate Until Green stopped/.test(l));
      const gone = await until(`the Accept CodeLens of proposal ${round} to go, or the next proposal`, async () => ((await codeLens(page, 'Accept').count()) === 0 ? 'gone' : nextShown() ? 'stayed' : undefined), 180_000, 100);
      if (gone === 'stayed') {
        await wb.shot(`iterate-js-review-stale-lens-${round}`);
        throw new Error(`the Accept CodeLens of proposal ${round} stayed after its hunk was applied, until the loop went on`);
      }
      if (await toast(page, 'could not save').count()) throw new Error(`"could not save" after Accept ${round}: ${await toast(page, 'could not save').first().innerText()}`);
    }
    const done = toast(page, 'Ducktrace: ').filter({ hasText: /All tests pass|Stopped|still failing|could not/ }).first();
    await done.waitFor({ timeout: 180_000 });
    const report = (await done.innerText()).replace(/\s+/g, ' ');
    await page.waitForTimeout(600);
    await wb.shot('iterate-js-review-done');
    if (!/All tests pass after 2 iterations\. Fixed 2 tests\./.test(report)) throw new Error(`the loop did not report green: ${report}\n${wb.log().slice(-30).join('\n')}`);
    // The report matches a run made now on the files on disk.
    const text = wb.read('src/cart.js');
    if (!text.includes('item.price * item.quantity') || !text.includes('(amount * coupon.percent) / 100')) throw new Error(`both fixes are not on disk:\n${text}`);
    let out;
    try {
      out = execFileSync(process.execPath, ['--test'], { cwd: wb.workspace, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      throw new Error(`node --test fails after the loop reported green:\n${err.stdout}\n${err.stderr}`);
    }
    if (!/# pass 5\b/.test(out) || !/# fail 0\b/.test(out)) throw new Error(`node --test does not pass 5/5:\n${out}`);
    if ((await page.locator('.tabs-container .tab.dirty').count()) > 0) throw new Error('an editor has unsaved changes after the loop');
    if ((await codeLens(page, 'Accept').count()) > 0) throw new Error('an Accept CodeLens is still shown after the loop');
    const log = wb.log();
    if (log.some((l) => /could not save/i.test(l))) throw new Error(`the log says a save failed:\n${log.filter((l) => /save/i.test(l)).join('\n')}`);
    if (model.requests.length !== 2) throw new Error(`the model was asked ${model.requests.length} times, expected 2`);
  } finally {
    await wb.close();
    await model.close();
  }
}
