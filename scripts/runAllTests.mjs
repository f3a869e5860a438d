// `npm test`: every suite, one after another, each run even when an earlier one failed, and all
// failures reported together at the end (non-zero exit when any failed). A suite that needs the
// build is not run when the build failed, and is reported as such.
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export const suites = [
  { name: 'lint', command: 'npm run lint' },
  { name: 'typecheck', command: 'npm run typecheck' },
  { name: 'build', command: 'npm run build:tests' },
  { name: 'unit (pure)', command: 'npm run test:unit:pure', needs: 'build' },
  { name: 'unit (processes)', command: 'npm run test:unit:process', needs: 'build' },
  { name: 'integration (trusted)', command: 'node test/integration/runInCodeServer.mjs', needs: 'build' },
  { name: 'integration (untrusted)', command: 'node test/integration/runInCodeServer.mjs --untrusted', needs: 'build' },
  { name: 'e2e', command: 'npm run test:e2e', needs: 'build' },
];

/** Runs the suites with `run(command) -> exit code`; returns one row per suite. */
export function runSuites(list, run, log = console.log) {
  const results = [];
  for (const suite of list) {
    const needed = suite.needs && results.find((r) => r.name === suite.needs);
    if (needed && needed.status !== 'passed') {
      results.push({ name: suite.name, status: 'not run', detail: `${suite.needs} failed`, seconds: 0 });
      continue;
    }
    log(`\n━━ ${suite.name}: ${suite.command}`);
    const started = Date.now();
    const code = run(suite.command);
    results.push({ name: suite.name, status: code === 0 ? 'passed' : 'failed', detail: code === 0 ? '' : `exit code ${code}`, seconds: Math.round((Date.now() - started) / 1000) });
  }
  return results;
}

export function summary(results) {
  const width = Math.max(...results.map((r) => r.name.length));
  const lines = results.map((r) => `  ${r.name.padEnd(width)}  ${r.status.padEnd(7)}  ${String(r.seconds).padStart(4)} s${r.detail ? `  (${r.detail})` : ''}`);
  const bad = results.filter((r) => r.status !== 'passed');
  return [`\n━━ npm test: ${bad.length ? `${bad.length} of ${results.length} suites did not pass` : `all ${results.length} suites passed`}`, ...lines].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = runSuites(suites, (command) => {
    const r = spawnSync(command, { stdio: 'inherit', shell: true });
    return r.status ?? 1;
  });
  console.log(summary(results));
  process.exitCode = results.every((r) => r.status === 'passed') ? 0 : 1;
}
