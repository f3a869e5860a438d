// What every end-to-end scenario needs: a workspace of its own, the real VS Code 1.100.3 server
// with the packaged extension, headless Chromium on its workbench, and the few gestures a user
// makes (command palette, quick open, notifications, CodeLens, the Ducktrace view). Scenarios
// are plain async functions that throw on the first expectation that fails.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { launchBrowser, repoRoot, startServer, tempDir } from '../support/vscodeServer.mjs';

export { repoRoot };

/** Runs a command from the command palette, retrying while the workbench is still loading. */
export async function runCommand(page, title, shots) {
  // Enter runs the FOCUSED row, which can be another command while the palette is still filtering
  // (recently used ones come first: "File: Save" once ran "File: Compare Active File with Saved").
  // So the row whose label is exactly the title is focused first, or clicked.
  const exact = new RegExp(`^\\s*${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    const label = page.locator('.quick-input-list .monaco-list-row .label-name').filter({ hasText: exact }).first();
    try {
      // Inside the retry: the palette can close again as it opens when focus moves (a terminal starting).
      await input.waitFor({ timeout: 15_000 });
      await input.fill(`>${title}`, { timeout: 10_000 });
      await label.waitFor({ timeout: 5_000 });
      const focused = page.locator('.quick-input-list .monaco-list-row.focused .label-name').filter({ hasText: exact });
      if (await focused.count()) await page.keyboard.press('Enter');
      else await label.click({ timeout: 5_000 });
      return;
    } catch (err) {
      if (attempt === 4) {
        if (shots) await page.screenshot({ path: join(shots, 'command-palette-failure.png') });
        const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts().catch(() => []);
        throw new Error(`"${title}" never showed in the command palette: ${err.message.split('\n')[0]}; rows: ${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
      }
    }
  }
}

/** Every line of Ducktrace's log, over all windows (the log files are under the user data folder). */
export function ducktraceLog(userDataDir) {
  const lines = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/Ducktrace\.log$/.test(e.name)) lines.push(...readFileSync(p, 'utf8').split('\n'));
    }
  };
  try {
    walk(join(userDataDir, 'logs'));
  } catch {
    // no logs yet
  }
  return lines;
}

/** Polls `check` (sync or async) until it returns a truthy value; throws `what` on timeout. */
export async function until(what, check, timeoutMs = 60_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * A workbench on a fresh workspace: `files` maps relative paths to contents (or `from:` a fixture
 * path under test/fixtures/workspace), `settings` are user settings, `devExtensions` folders of test
 * helper extensions to load too; with `activates` (default) it waits until the workspace's tests
 * have activated Ducktrace. Returns the page and helpers; `close()` stops everything.
 */
export async function openWorkbench({ name, files, settings = {}, extensionsDir, shots, logName = name, devExtensions = [], activates = true }) {
  const work = tempDir(`e2e-${name}`);
  const userDataDir = join(work, 'user-data');
  const workspace = join(work, 'workspace');
  mkdirSync(workspace, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const target = join(workspace, rel);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof content === 'string' && content.startsWith('from:')) cpSync(join(repoRoot, 'test/fixtures/workspace', content.slice(5)), target);
    else writeFileSync(target, content);
  }
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'Machine/settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'workbench.tips.enabled': false }));
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(join(userDataDir, 'User/settings.json'), JSON.stringify({ 'window.restoreWindows': 'none', ...settings }));
  const server = await startServer({ userDataDir, extensionsDir, logFile: join(shots, `server-${logName}.log`) });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const close = async () => {
    await browser.close().catch(() => undefined);
    await server.stop();
  };
  try {
    // Test helpers that stand in for other extensions load beside the packaged Ducktrace.
    await page.goto(server.url(workspace, devExtensions.length ? devExtensions.map((dir) => ['extensionDevelopmentPath', server.remote(dir)]) : undefined));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
    // A workspace with tests activates Ducktrace at start-up; commands that need it wait for that.
    if (activates) await until('Ducktrace to activate', () => ducktraceLog(userDataDir).some((l) => /Ducktrace \S+ activated/.test(l)), 90_000);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    page,
    workspace,
    userDataDir,
    server,
    close,
    file: (rel) => join(workspace, rel),
    read: (rel) => readFileSync(join(workspace, rel), 'utf8'),
    log: () => ducktraceLog(userDataDir),
    shot: (shot) => page.screenshot({ path: join(shots, `${shot}.png`) }),
    command: (title) => runCommand(page, title, shots),
  };
}

/**
 * Opens a workspace file by name with Quick Open, and waits for its editor to be the active tab.
 * Enter opens the *focused* row, which can still be a history entry while the file search has not
 * filtered the list yet (seen under load), so it waits for the focused row to be the file. A failed
 * attempt says what it saw: CI keeps no screenshots.
 */
export async function openFile(page, relPath) {
  const base = relPath.split('/').pop();
  const seen = [];
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    try {
      // Inside the retry: Quick Open can close again as it opens when focus moves (seen in CI right
      // after the terminal panel was opened: the input stayed hidden and fill waited 30 s).
      await input.waitFor({ timeout: 15_000 });
      await input.fill(relPath, { timeout: 10_000 });
      const focused = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: base });
      await focused.first().waitFor({ timeout: 10_000 }).catch(async () => {
        // No focused row with the name: click the row itself if the list has it.
        await page.locator('.quick-input-list .monaco-list-row', { hasText: base }).first().click({ timeout: 5_000 });
      });
      if (await page.locator('.quick-input-widget').isVisible()) await page.keyboard.press('Enter');
      await page.locator('.tabs-container .tab.active', { hasText: base }).first().waitFor({ timeout: 15_000 });
      return;
    } catch (err) {
      const rows = await page.locator('.quick-input-list .monaco-list-row').allInnerTexts().catch(() => []);
      const tabs = await page.locator('.tabs-container .tab').evaluateAll((els) => els.map((e) => `${e.classList.contains('active') ? '*' : ''}${e.textContent?.trim()}`)).catch(() => []);
      seen.push(`attempt ${attempt}: rows [${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}], tabs [${tabs.join(' | ')}]`);
      if (attempt === 4) throw new Error(`Quick Open never opened ${relPath}: ${err.message.split('\n')[0]}\n${seen.join('\n')}`);
    }
  }
}

/** Moves the cursor of the active editor to a 1-based line, or `line:column` (Go to Line). */
export async function goToLine(page, line) {
  // Checked on the status bar and retried: Ctrl+G pressed while Quick Open was still closing once
  // left the cursor on line 1 (seen in a full e2e run).
  const want = new RegExp(`Ln ${String(line).split(':')[0]},`);
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+G');
    const input = page.locator('.quick-input-widget input');
    try {
      await input.waitFor({ timeout: 10_000 });
      await input.fill(`:${line}`, { timeout: 10_000 });
      await page.keyboard.press('Enter');
      await page.locator('.statusbar-item', { hasText: want }).first().waitFor({ timeout: 5_000 });
      return;
    } catch (err) {
      if (attempt === 4) throw new Error(`Go to Line ${line} never moved the cursor: ${err.message.split('\n')[0]}`);
    }
  }
}

/** The CodeLens links of the visible editors with this text. */
export function codeLens(page, text) {
  return page.locator('.monaco-editor .codelens-decoration a', { hasText: text });
}

/** A notification toast that contains `text`. */
export function toast(page, text) {
  return page.locator('.notifications-toasts .notification-toast', { hasText: text });
}

/** The Ducktrace view's page (a webview: an iframe in an iframe). */
export function ducktraceView(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

/** The .vsix to test: DUCKTRACE_VSIX, or the one `npm run package` made. */
export function vsixPath() {
  if (process.env.DUCKTRACE_VSIX) return process.env.DUCKTRACE_VSIX;
  const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
  const vsix = join(repoRoot, `ducktrace-${version}.vsix`);
  if (!existsSync(vsix)) throw new Error(`${vsix} is missing: run 'npm run package' first`);
  return vsix;
}
