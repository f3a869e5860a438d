// `npm test` runs every suite even after one fails, and reports all failures at the end.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const script = pathToFileURL(join(__dirname, '../../../scripts/runAllTests.mjs')).href;

test('a failing suite does not stop the later ones; all failures are reported; a failed build skips what needs it', async () => {
  const { runSuites, summary, suites } = await import(script);
  const names = suites.map((s: { name: string }) => s.name);
  assert.deepEqual(names, ['lint', 'typecheck', 'build', 'unit (pure)', 'unit (processes)', 'integration (trusted)', 'integration (untrusted)', 'e2e']);
  const ran: string[] = [];
  const exit: Record<string, number> = { 'npm run lint': 1, 'npm run test:unit:process': 3 };
  const results = runSuites(suites, (command: string) => (ran.push(command), exit[command] ?? 0), () => undefined);
  assert.equal(ran.length, suites.length, 'every suite ran');
  assert.deepEqual(results.filter((r: { status: string }) => r.status === 'failed').map((r: { name: string }) => r.name), ['lint', 'unit (processes)']);
  const text = summary(results);
  assert.match(text, /2 of 8 suites did not pass/);
  assert.match(text, /unit \(processes\) +failed .*exit code 3/);

  const noBuild = runSuites(suites, (command: string) => (command === 'npm run build:tests' ? 1 : 0), () => undefined);
  assert.deepEqual(noBuild.filter((r: { status: string }) => r.status === 'not run').map((r: { name: string }) => r.name), ['unit (pure)', 'unit (processes)', 'integration (trusted)', 'integration (untrusted)', 'e2e']);
});

test('the unit tests split into a pure suite and a suite that starts processes, together all of them', async () => {
  const { unitSuites } = await import(pathToFileURL(join(__dirname, '../../../scripts/unitTests.mjs')).href);
  const { pure, process: processes } = unitSuites() as { pure: string[]; process: string[] };
  const name = (f: string) => f.split(/[\\/]/).pop();
  assert.ok(pure.map(name).includes('replyParser.test.js'));
  assert.ok(pure.map(name).includes('runAllTests.test.js'));
  assert.ok(processes.map(name).includes('fixCli.test.js'));
  assert.ok(processes.map(name).includes('pythonTracer.test.js'));
  assert.equal(new Set([...pure, ...processes]).size, pure.length + processes.length, 'no file in both');
});
