import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createBlocksCommand, parseBlocksArgs } from '../../src/host/cli/blocksCommand';
import { cliCommands } from '../../src/host/cli/commands';
import { fixturePath, parser, repoRoot } from './support/fixtures';

const command = createBlocksCommand(() => parser);

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await command.run(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

const constructsPy = fixturePath('blocks', 'constructs.py');

describe('ducktrace blocks', () => {
  test('is registered', () => {
    assert.ok(cliCommands.some((c) => c.name === 'blocks' && c.usage.startsWith('blocks FILE')));
  });

  test('--json prints { language, function: { name, range }, blocks }', async () => {
    const { code, stdout, stderr } = await run(constructsPy, '--function', 'classify', '--json');
    assert.equal(stderr, '');
    assert.equal(code, 0);
    const result = JSON.parse(stdout);
    assert.deepEqual(Object.keys(result), ['language', 'function', 'blocks']);
    assert.equal(result.language, 'python');
    assert.deepEqual(result.function, { name: 'classify', range: { start: { line: 13, character: 0 }, end: { line: 20, character: 16 } } });
    assert.deepEqual(result.blocks[0], {
      id: 'b1',
      kind: 'branch',
      range: { start: { line: 14, character: 4 }, end: { line: 14, character: 13 } },
      text: 'if n < 0:',
      successors: ['b2', 'b3'],
    });
    assert.equal(result.blocks.length, 6);
  });

  test('the readable listing, by line', async () => {
    const { code, stdout } = await run(fixturePath('blocks', 'constructs.js'), '--line=58');
    assert.equal(code, 0);
    assert.equal(
      stdout,
      [
        `${fixturePath('blocks', 'constructs.js')}: retry (javascript, lines 54-60), 4 blocks`,
        '',
        'b1  straight     55:3-55:17  -> b2',
        '    let tries = 0;',
        '',
        'b2  straight     56:3-57:13  -> b3',
        '    do {',
        '      tries++;',
        '',
        'b3  loop-header  58:5-58:29  -> b2, b4',
        '    while (!attempt(tries));',
        '',
        'b4  return       59:3-59:16  -> exit',
        '    return tries;',
        '',
      ].join('\n'),
    );
  });

  test('clear errors: missing file, unknown function, syntax error, no function at the line', async () => {
    const missing = await run(fixturePath('blocks', 'nope.py'), '--function', 'f');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.py: no such file/);

    const unknown = await run(constructsPy, '--function', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no function named 'nope'/);

    const broken = await run(fixturePath('blocks', 'broken.py'), '--function', 'broken');
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /syntax error at line 8/);

    const outside = await run(constructsPy, '--line', '2');
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /line 2 is not inside a function/);
    assert.equal(outside.stdout, '');
  });

  test('usage errors exit with 2', async () => {
    for (const args of [[], [constructsPy], [constructsPy, '--function', 'a', '--line', '3'], [constructsPy, '--line', 'x'], [constructsPy, '--bogus'], ['a.rb', '--line', '1']]) {
      const { code, stderr } = await run(...args);
      assert.equal(code, 2, args.join(' '));
      assert.match(stderr, /^ducktrace blocks: /);
    }
    assert.deepEqual(parseBlocksArgs(['f.py', '-f', 'g']), { file: 'f.py', selector: { name: 'g' }, json: false });
    assert.deepEqual(parseBlocksArgs(['f.py', '--line', '4', '--json']), { file: 'f.py', selector: { line: 4 }, json: true });
  });

  const cli = join(repoRoot, 'dist', 'cli.js');
  test('the bundled CLI finds its grammars and runtime', { skip: existsSync(cli) ? false : 'dist/cli.js not built' }, () => {
    const stdout = execFileSync(process.execPath, [cli, 'blocks', fixturePath('blocks', 'component.tsx'), '--function', 'Counter.render', '--json'], { encoding: 'utf8' });
    assert.equal(JSON.parse(stdout).blocks.length, 6);
    const failed = spawnSync(process.execPath, [cli, 'blocks', constructsPy, '--function', 'nope'], { encoding: 'utf8' });
    assert.equal(failed.status, 1);
  });
});
