// e2e step: Show Suspicious Blocks on a JavaScript function of the sample workspace (stats.js,
// node:test). The function at the cursor is ranked from its tests and drawn as heat: a gutter icon
// per suspicious block, the rank and score after its first line, the reasons in the hover: on the
// loop header (the bug: it starts at 1), the mutant that fixes the failing test (`1 → 0`).
import { join } from 'node:path';

/** Opens stats.js, ranks `mean`, checks the gutter heat and the hover; screenshots the result. */
export async function showSuspiciousBlocksOnJs({ page, runCommand, shots }) {
  // Quick Open (the palette without its '>'): the side bar may show another view than the Explorer.
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 15_000 });
  await input.fill('stats.js');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'stats.js' }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  const line = page.locator('.monaco-editor .view-line', { hasText: 'sum += values[i];' }).first();
  await line.waitFor({ timeout: 30_000 });
  // The cursor inside mean().
  await line.click();
  await runCommand(page, 'Ducktrace: Show Suspicious Blocks');
  // Heat in the gutter: the icons of the decoration types (media/heat-*.svg).
  const deadline = Date.now() + 120_000;
  let icons = 0;
  while (Date.now() < deadline) {
    icons = await page.evaluate(() =>
      [...document.querySelectorAll('.monaco-editor .margin div')].filter((el) => /heat-(high|medium|low)\.svg/.test(getComputedStyle(el).backgroundImage)).length,
    );
    if (icons > 0) break;
    await page.waitForTimeout(1000);
  }
  if (!icons) {
    await page.screenshot({ path: join(shots, 'suspicious-blocks-js-failure.png') });
    throw new Error('no heat icon showed in the gutter of stats.js (screenshot suspicious-blocks-js-failure.png)');
  }
  // The reasons in the hover of the top block, the loop header.
  const header = page.locator('.monaco-editor .view-line', { hasText: 'for (let i = 1;' }).first();
  const hover = page.locator('.monaco-hover', { hasText: 'Ducktrace · block' }).first();
  for (let attempt = 0; attempt < 5 && !(await hover.isVisible()); attempt++) {
    const box = await header.boundingBox();
    await page.mouse.move(box.x + 30, box.y + box.height / 2);
    await page.waitForTimeout(300);
    await page.mouse.move(box.x + 60, box.y + box.height / 2);
    await hover.waitFor({ timeout: 5_000 }).catch(() => undefined);
  }
  const text = await hover.innerText();
  // The hover renders with non-breaking spaces; \s matches them.
  if (!/suspicion\s\d\.\d\d[\s\S]*rank\s1\sof\s\d+/.test(text) || !/ran\sin\s1\sof\s1\sfailing\stest/.test(text)) throw new Error(`the hover does not give the rank and the reason: ${text}`);
  if (!/with\s1\s→\s0\shere,\s1\sof\s1\sfailing\stest\spasses/.test(text)) throw new Error(`the hover does not name the mutant that fixes the failing test: ${text}`);
  await page.screenshot({ path: join(shots, 'suspicious-blocks-js.png') });
  return { icons, hover: text };
}
