// Runs the integration suite inside the extension host of a real VS Code 1.100.3 (code-server's
// VS Code server, opened in headless Chromium). The extension loads from this repository as an
// extension under development; the suite writes a JSON report, which decides the exit code.
import { readFileSync, existsSync, cpSync, mkdirSync, writeFileSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { addMochaProject, addVitestProject } from './vitestProject.mjs';
import { ensureInstalled, launchBrowser, repoRoot, startServer, tempDir } from '../support/vscodeServer.mjs';

// The suite is given up on only when it stops making progress: before its first test (VS Code and
// the extension starting), or when a test runs past its own time limit plus this grace (the harness
// stops a test at its limit, so only a hung extension host gets there). Never a total time, which a
// busy machine would exceed.
const graceMs = Number(process.env.DUCKTRACE_INTEGRATION_TIMEOUT_MS ?? 300_000);
// --untrusted: the same suite in a workspace VS Code does not trust; only the trust tests apply there.
const untrusted = process.argv.includes('--untrusted');
const suite = join(repoRoot, 'out/test/integration/suite/index.js');
if (!existsSync(suite)) {
  console.error(`missing ${suite}: run 'npm run build:tests' first`);
  process.exit(1);
}
ensureInstalled();

const work = tempDir('integration');
const workspace = join(work, 'workspace');
cpSync(join(repoRoot, 'test/fixtures/workspace'), workspace, { recursive: true });
// vitest-project/ and mocha-project/, with their node_modules (not installed for the untrusted pass: nothing runs there).
const vitestEnv = { ...addVitestProject(workspace, { install: !untrusted }), ...addMochaProject(workspace, { install: !untrusted }) };
// A canary: pytest imports conftest.py first, so a run of any test in the workspace leaves ran.txt.
if (untrusted) writeFileSync(join(workspace, 'conftest.py'), "import pathlib\npathlib.Path(__file__).with_name('ran.txt').write_text('pytest ran')\n");
const report = join(work, 'report.json');
const resultsDir = join(repoRoot, untrusted ? 'test-results/integration-untrusted' : 'test-results/integration');
mkdirSync(resultsDir, { recursive: true });
const logFile = join(resultsDir, 'server.log');
// Tests ask for screenshots by writing NAME.request here; we answer with NAME.done once taken.
const requests = join(work, 'screenshot-requests');
mkdirSync(requests, { recursive: true });
mkdirSync(join(userDataDir(), 'Machine'), { recursive: true });
writeFileSync(join(userDataDir(), 'Machine/settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off' }));
function userDataDir() {
  return join(work, 'user-data');
}

const server = await startServer({
  userDataDir: userDataDir(),
  extensionsDir: join(work, 'extensions'),
  env: { DUCKTRACE_TEST_REPORT: report, DUCKTRACE_TEST_WORKSPACE: workspace, DUCKTRACE_SCREENSHOT_DIR: requests, ...vitestEnv, ...(untrusted ? { DUCKTRACE_TEST_FILTER: 'workspace trust', DUCKTRACE_TEST_UNTRUSTED: '1' } : {}) },
  trustWorkspaces: !untrusted,
  logFile,
});
const browser = await launchBrowser();
const consoleLines = [];
let outcome = 1;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  await page.goto(server.url(workspace, [
    ['extensionDevelopmentPath', server.remote(repoRoot)],
    ['extensionTestsPath', server.remote(suite)],
  ]));
  const progressFile = `${report}.progress`;
  let lastStart = { at: Date.now(), limitMs: graceMs, lines: 0, name: '(VS Code starting)' };
  const stalled = () => {
    const lines = existsSync(progressFile) ? readFileSync(progressFile, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length > lastStart.lines) {
      const last = JSON.parse(lines[lines.length - 1]);
      lastStart = { at: Date.now(), limitMs: (last.timeoutMs ?? 0) + graceMs, lines: lines.length, name: last.started };
    }
    return Date.now() - lastStart.at > lastStart.limitMs;
  };
  while (!existsSync(report) && !stalled()) {
    for (const f of readdirSync(requests).filter((n) => n.endsWith('.request'))) {
      const name = f.slice(0, -'.request'.length);
      await new Promise((r) => setTimeout(r, 800)); // let the workbench paint
      await page.screenshot({ path: join(resultsDir, `${name}.png`) }).catch((e) => console.error(`screenshot ${name}: ${e.message}`));
      renameSync(join(requests, f), join(requests, `${name}.done`));
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await page.screenshot({ path: join(resultsDir, 'workbench.png') }).catch(() => {});
  if (!existsSync(report)) {
    console.error(`The integration suite made no progress: "${lastStart.name}" did not end within ${Math.round(lastStart.limitMs / 1000)} s of its start. Server log: ${logFile}`);
  } else {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    for (const t of r.results) {
      console.log(`${t.ok ? 'ok' : 'not ok'} - ${t.name}${t.skipped ? ` # SKIP ${t.skipped}` : ''} (${t.durationMs} ms)`);
      if (!t.ok) console.log(t.error.split('\n').map((l) => `    ${l}`).join('\n'));
    }
    console.log(`integration${untrusted ? ', untrusted workspace' : ''} (VS Code ${r.vscodeVersion}): ${r.passed} passed, ${r.failed} failed${r.skipped ? `, ${r.skipped} skipped` : ''}`);
    outcome = r.failed === 0 && r.passed > 0 ? 0 : 1;
  }
} finally {
  writeFileSync(join(resultsDir, 'browser-console.log'), consoleLines.join('\n'));
  await browser.close();
  await server.stop();
}
process.exit(outcome);
