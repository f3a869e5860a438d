// `npm test` runs every suite even after one fails, and reports all failures at the end.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const script = pathToFileURL(join(__dirname, '../../../scripts/runAllTests.mjs')).href;

test('a failing suite does not stop the later ones; all failures are reported; a failed build skips what needs it', async () => {
  const { runSuites, summary, suites } = await import(script);
  const names = suites.map((s: { name: string }) => s.name);
  assert.deepEqual(names, ['lint', 'typecheck', 'build', 'unit', 'integration (trusted)', 'integration (untrusted)', 'e2e']);
  const ran: string[] = [];
  const exit: Record<string, number> = { 'npm run lint': 1, 'npm run test:unit': 3 };
  const results = runSuites(suites, (command: string) => (ran.push(command), exit[command] ?? 0), () => undefined);
  assert.equal(ran.length, suites.length, 'every suite ran');
  assert.deepEqual(results.filter((r: { status: string }) => r.status === 'failed').map((r: { name: string }) => r.name), ['lint', 'unit']);
  const text = summary(results);
  assert.match(text, /2 of 7 suites did not pass/);
  assert.match(text, /unit +failed .*exit code 3/);

  const noBuild = runSuites(suites, (command: string) => (command === 'npm run build:tests' ? 1 : 0), () => undefined);
  assert.deepEqual(noBuild.filter((r: { status: string }) => r.status === 'not run').map((r: { name: string }) => r.name), ['unit', 'integration (trusted)', 'integration (untrusted)', 'e2e']);
});
