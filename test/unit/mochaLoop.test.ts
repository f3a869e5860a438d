// `ducktrace fix --write` on a mocha project (test/fixtures/trace/mocha-cjs, mocha from the fixture
// cache) against the scripted OpenAI-compatible server: the failure found by running mocha, the
// function traced under mocha with its values in the prompt, the fix written, mocha rerun: green.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { createFixCommand } from '../../src/host/cli/fixCommand';
import { fixtureProject } from '../support/fixtureDeps';
import { fixturePath, repoRoot } from './support/fixtures';

type Server = { baseURL: string; requests: { body: { messages: { role: string; content: string }[] } }[]; close(): Promise<void> };
const serverModule = pathToFileURL(join(__dirname, '../../../test/support/scriptedModelServer.mjs')).href;
async function server(steps: object[]): Promise<Server> {
  const { startScriptedModelServer } = await import(serverModule);
  return startScriptedModelServer({ steps });
}

const restockFix = JSON.stringify({
  summary: 'Items exactly at the threshold are left out: the comparison must be <=.',
  verdicts: [
    { block: 'b1', correct: true, why: 'Starts with an empty order.' },
    { block: 'b3', correct: false, why: 'count < threshold skips glue, whose count 5 equals the threshold.' },
  ],
  fix: {
    kind: 'function',
    code: 'function restock(items, threshold) {\n  const order = [];\n  for (const item of items) {\n    if (item.count <= threshold) {\n      order.push(item.name);\n    }\n  }\n  return order;\n}',
    diff: null,
    edits: null,
  },
  test_is_wrong: null,
});

test('fix --write on a mocha project: traced under mocha, the fix written, mocha green', { timeout: 300_000 }, async () => {
  const dir = fixtureProject(fixturePath('trace', 'mocha-cjs'));
  const s = await server([{ reply: restockFix }]);
  try {
    const command = createFixCommand({ env: { DUCKTRACE_BASE_URL: s.baseURL, DUCKTRACE_MODEL: 'scripted' }, helpersDir: join(repoRoot, 'dist') });
    const out = { stdout: '', stderr: '' };
    const code = await command.run(['--cwd', dir, '--write', '--json', '--timeout', '10'], { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t) });
    assert.equal(code, 0, out.stderr + out.stdout);
    const report = JSON.parse(out.stdout);
    assert.equal(report.stop, 'green', out.stdout);
    assert.deepEqual(report.iterations.map((i: { test: string; result: string }) => [i.test, i.result]), [['orders items at or below the threshold', 'fixed']]);
    assert.match(readFileSync(join(dir, 'inventory.js'), 'utf8'), /if \(item\.count <= threshold\) \{/);
    assert.equal(s.requests.length, 1);
    const prompt = s.requests[0]!.body.messages.map((m) => m.content).join('\n');
    // The values recorded while mocha ran the test, and mocha's assertion.
    assert.match(prompt, /^- call 1: restock\(items: Array = \[\{name: 'nails', count: 3\}, \{name: 'glue', count: 5\}, \{name: 'tape', count: 9\}\], threshold: number = 5\) → returned \['nails'\]$/m);
    // The test as written, with its describe block.
    assert.match(prompt, /```javascript\ndescribe\('restock', \(\) => \{\n  it\('orders items at or below the threshold', \(\) => \{\n/);
    assert.match(prompt, /Expected values to be strictly deep-equal/);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
