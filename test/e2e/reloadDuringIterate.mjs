// Fault: the window reloads in the middle of Iterate Until Green. A real reload of the web
// workbench (code-server's VS Code 1.100.3 with the packaged extension), driven by Playwright: the
// loop (auto mode) has changed pricing.py and checkpointed its original, and the model is still
// answering the second iteration when the window reloads. Afterwards Ducktrace must offer the
// checkpoint back; Restore must give back the exact bytes, Keep must leave the loop's change; and
// the extension host of the old window must be gone, never writing the late answer into the file.
import { cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startScriptedModelServer } from '../support/scriptedModelServer.mjs';
import { repoRoot, startServer, tempDir } from '../support/vscodeServer.mjs';

const answer = (code, summary) => JSON.stringify({ summary, verdicts: [{ blockId: 'b1', correct: false, why: summary }], fix: { kind: 'function', code } });
const applyDiscount = (divisor) =>
  [
    'def apply_discount(price, percent):',
    '    """Return the price after taking `percent` percent off, never below zero."""',
    '    if percent <= 0:',
    '        return price',
    `    discounted = price - price * percent / ${divisor}`,
    '    return max(discounted, 0)',
  ].join('\n');
/** How long the model takes with its second answer: far longer than the reload and the click. */
const lateAnswerMs = 25_000;

/** Extension host processes under the VS Code server's process. */
function extensionHosts(serverPid) {
  const procs = new Map();
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      procs.set(Number(pid), { ppid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ') });
    } catch {
      // gone meanwhile
    }
  }
  const under = (pid) => {
    for (let p = pid; p > 1; p = procs.get(p)?.ppid ?? 0) if (p === serverPid) return true;
    return false;
  };
  return [...procs].filter(([pid, p]) => /--type=extensionHost/.test(p.cmd) && under(pid)).map(([pid]) => pid);
}

/** Every line of Ducktrace's log, over all windows (the log files are under the user data folder). */
function ducktraceLog(userDataDir) {
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

/**
 * The scenario, once: `how` reloads with the palette's "Developer: Reload Window" ('command') or
 * the browser's own reload ('browser'); `choice` is the button clicked ('Restore' or 'Keep').
 * Throws on the first expectation that fails. `runCommand(page, title)` runs a palette command.
 */
export async function reloadDuringIterate({ runCommand, launchBrowser, extensionsDir, shots, choice, how }) {
  const tag = `${how}-${choice.toLowerCase()}`;
  const work = tempDir(`e2e-reload-${tag}`);
  const userDataDir = join(work, 'user-data');
  const workspace = join(work, 'workspace');
  // The Python half of the sample workspace: one failing test, one function to fix.
  mkdirSync(workspace, { recursive: true });
  for (const name of ['pricing.py', 'test_pricing.py', 'pytest.ini']) cpSync(join(repoRoot, 'test/fixtures/workspace', name), join(workspace, name));
  const pricing = join(workspace, 'pricing.py');
  const original = readFileSync(pricing);
  // Iteration 1: a fix that changes the failure without making the test pass, so the loop goes on;
  // iteration 2: an answer that comes late, which only a surviving old extension host could apply.
  const model = await startScriptedModelServer({
    steps: [{ reply: answer(applyDiscount(20), 'percent is divided by the wrong number.') }, { delayMs: lateAnswerMs, reply: answer(applyDiscount(100), 'percent is out of 100.') }, { hang: true }],
  });
  mkdirSync(join(userDataDir, 'Machine'), { recursive: true });
  writeFileSync(join(userDataDir, 'Machine/settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'workbench.tips.enabled': false }));
  // The endpoint settings are application-scoped: user settings, as a user would set them.
  mkdirSync(join(userDataDir, 'User'), { recursive: true });
  writeFileSync(
    join(userDataDir, 'User/settings.json'),
    JSON.stringify({ 'ducktrace.model.provider': 'openaiCompatible', 'ducktrace.openai.baseUrl': model.baseURL, 'ducktrace.openai.model': 'scripted-model', 'ducktrace.iterate.mode': 'auto', 'ducktrace.iterate.maxIterations': 3 }),
  );
  const server = await startServer({ userDataDir, extensionsDir, logFile: join(shots, `server-reload-${tag}.log`) });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(server.url(workspace));
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.getByRole('treeitem', { name: 'pricing.py', exact: true }).waitFor({ timeout: 60_000 });
    await runCommand(page, 'Ducktrace: Iterate Until Green');
    const deadline = Date.now() + 120_000;
    while (!(model.requests.length >= 2 && !readFileSync(pricing).equals(original))) {
      if (Date.now() > deadline) throw new Error(`the loop never reached its second question with pricing.py changed (${model.requests.length} model requests)`);
      await page.waitForTimeout(200);
    }
    const secondAsked = Date.now();
    const changed = readFileSync(pricing);
    if (!changed.toString('utf8').includes('percent / 20')) throw new Error(`pricing.py changed, but not by the first fix:\n${changed}`);
    const oldHosts = extensionHosts(server.pid);
    if (oldHosts.length !== 1) throw new Error(`expected one extension host before the reload, found ${oldHosts.length}`);
    await page.screenshot({ path: join(shots, `reload-${tag}-before.png`) });

    if (how === 'browser') await page.reload();
    else await runCommand(page, 'Developer: Reload Window');
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'Iterate Until Green was interrupted' }).first();
    await toast.waitFor({ timeout: 60_000 });
    const text = (await toast.innerText()).replace(/\s+/g, ' ');
    if (!/while it was changing pricing\.py\. Restore that file to its contents before the loop, or keep it as it is now\?/.test(text)) throw new Error(`unclear recovery message: ${text}`);
    await page.waitForTimeout(800); // the toast slides in
    await page.screenshot({ path: join(shots, `reload-recovery-notification-${tag}.png`) });
    // The old window's extension host is gone: a new one serves the reloaded window.
    const newHosts = extensionHosts(server.pid);
    if (newHosts.some((pid) => oldHosts.includes(pid))) throw new Error(`the old extension host ${oldHosts} is still running after the reload (hosts now: ${newHosts})`);
    if (!readFileSync(pricing).equals(changed)) throw new Error('pricing.py changed between the reload and the recovery question');

    await toast.locator('.monaco-button', { hasText: choice }).click();
    await toast.waitFor({ state: 'detached', timeout: 15_000 });
    const expected = choice === 'Restore' ? original : changed;
    const settle = Date.now() + 15_000;
    while (!readFileSync(pricing).equals(expected) && Date.now() < settle) await page.waitForTimeout(200);
    // Past the moment the late second answer was sent (to nobody): still nothing else writes.
    await page.waitForTimeout(Math.max(2_000, secondAsked + lateAnswerMs + 5_000 - Date.now()));
    const final = readFileSync(pricing);
    if (!final.equals(expected)) throw new Error(`after ${choice}, pricing.py is not ${choice === 'Restore' ? 'byte-identical to its original' : 'as the loop left it'}:\n${final}`);
    const dirty = await page.locator('.tabs-container .tab.dirty').count();
    if (dirty) throw new Error(`${dirty} editor tab(s) have unsaved changes after ${choice}`);
    if (extensionHosts(server.pid).some((pid) => oldHosts.includes(pid))) throw new Error('the old extension host came back');
    const log = ducktraceLog(userDataDir);
    const done = choice === 'Restore' ? /Restored pricing\.py from its checkpoint/ : /Kept pricing\.py as the interrupted loop left it/;
    if (!log.some((l) => done.test(l))) throw new Error(`Ducktrace's log does not say what was done:\n${log.join('\n')}`);
    if (model.requests.length !== 2) throw new Error(`the model was asked ${model.requests.length} times; only the old window's two questions were expected`);
  } finally {
    await browser.close();
    await server.stop();
    await model.close();
  }
}
