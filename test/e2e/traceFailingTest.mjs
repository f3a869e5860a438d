// Issue 15, item 5: Trace Failing Test from the palette with the cursor in one of two failing
// tests traces that test without asking which (no quick pick); the values drawn after each block
// are what it changed; the trace table in the Ducktrace view scrolls sideways when it is wider
// than the view.
import { ducktraceView, goToLine, openFile, openWorkbench, until } from './workbench.mjs';

const pricing = `"""Prices for a small shop."""


def checkout(price, quantity, percent, shipping, tax_rate, gift_wrap, member, coupon_code):
    """The amount to pay: discounted items, shipping, tax and wrapping."""
    items_before_discount = price * quantity
    discount_amount = items_before_discount * percent / 10
    items_after_discount = items_before_discount - discount_amount
    taxable_amount_with_shipping = items_after_discount + shipping
    amount_including_sales_tax = taxable_amount_with_shipping * (1 + tax_rate)
    return amount_including_sales_tax + (2 if gift_wrap else 0)
`;
const tests = `from pricing import checkout


def test_plain_order():
    assert checkout(10, 2, 10, 5, 0.0, False, False, "") == 23


def test_member_order():
    assert checkout(10, 1, 50, 0, 0.0, False, True, "") == 5
`;

export async function traceFailingTestAtCursor({ extensionsDir, shots }) {
  const wb = await openWorkbench({
    name: 'trace',
    extensionsDir,
    shots,
    files: { 'pricing.py': pricing, 'test_pricing.py': tests, 'pytest.ini': '[pytest]\n' },
  });
  const { page } = wb;
  try {
    await wb.command('Test: Run All Tests');
    await until('two failing tests', () => wb.log().some((l) => /pytest in .*: \d+ results, 2 failed/.test(l)), 180_000);
    await openFile(page, 'test_pricing.py');
    await goToLine(page, 9); // inside test_member_order
    await wb.command('Ducktrace: Trace Failing Test');
    // No "which failing test" question: the cursor says which.
    const asked = await until('the trace, or a question', async () => {
      if (await page.locator('.quick-input-widget input[placeholder*="Which failing test"]').isVisible()) return 'asked';
      return wb.log().some((l) => /Trace(d| failing test:) checkout in test_pricing\.py::test_member_order/.test(l)) ? 'traced' : undefined;
    }, 120_000);
    if (asked === 'asked') {
      await wb.shot('trace-asked-which-test');
      throw new Error('Trace Failing Test asked which test although the cursor is in one');
    }
    // The values after each block's last line: what that block changed, not every parameter again.
    const inline = await until('the inline values', async () => {
      const texts = await page.evaluate(() =>
        [...document.querySelectorAll('.editor-instance .view-lines span')]
          .map((el) => getComputedStyle(el, '::after').content)
          .filter((c) => c && c !== 'none' && c.includes('▸')),
      );
      return texts.length ? texts : undefined;
    }, 60_000);
    if (!inline.some((t) => /discount_amount = 50\.0/.test(t))) throw new Error(`no value of discount_amount among the inline values: ${inline.join(' | ')}`);
    if (inline.some((t) => /price = 10|coupon_code =/.test(t))) throw new Error(`the unchanged parameters are repeated inline: ${inline.join(' | ')}`);
    const view = ducktraceView(page);
    const scroller = view.locator('.trace-scroll');
    await scroller.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(800);
    await wb.shot('trace-values-inline-and-table');
    // The table is wider than the view and scrolls sideways instead of being cut off.
    const { scrollWidth, clientWidth } = await scroller.evaluate((el) => ({ scrollWidth: el.scrollWidth, clientWidth: el.clientWidth }));
    if (!(scrollWidth > clientWidth)) throw new Error(`the table fits (${scrollWidth} <= ${clientWidth}): make it wider to test scrolling`);
    await scroller.evaluate((el) => el.scrollBy({ left: 10_000 }));
    const scrolled = await scroller.evaluate((el) => el.scrollLeft);
    if (!(scrolled > 0)) throw new Error('the trace table does not scroll sideways');
    const lastHeader = view.locator('table.trace th').last();
    if (!(await lastHeader.isVisible())) throw new Error('the last column is not visible after scrolling');
    await page.waitForTimeout(300);
    await wb.shot('trace-table-scrolled');
  } finally {
    await wb.close();
  }
}
