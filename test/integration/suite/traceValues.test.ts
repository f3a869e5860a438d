// "Trace Failing Test" in the real editor: the fixture's tests rerun under the Python tracer, the
// values drawn after each block's last line, stepped by iteration through the CodeLens commands.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SkipTest, screenshot, suite, test } from './harness';
import { CommandIds } from '../../../src/vscode/commandIds';
import type { DucktraceApi } from '../../../src/vscode/activate';
import type { ShownTrace } from '../../../src/vscode/trace/inlineValues';

const workspace = () => process.env.DUCKTRACE_TEST_WORKSPACE ?? vscode.workspace.workspaceFolders![0]!.uri.fsPath;
const api = async () => vscode.extensions.getExtension<DucktraceApi>('ducktrace.ducktrace')!.activate();

/** A pytest test of the fixture as the Testing view records it (a TestFailure's shape). */
function pytestTest(name: string, line: number) {
  const file = path.join(workspace(), 'test_pricing.py');
  return { testId: `${file}::${name}`, framework: 'pytest' as const, file, line, name, message: '', stack: [{ file, line }], output: '' };
}

const valuesOf = (shown: ShownTrace | undefined) => Object.fromEntries((shown?.lines ?? []).map((l) => [`${l.blockId}@${l.line}`, l.text]));

async function lensTitles(file: string): Promise<string[]> {
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', vscode.Uri.file(file));
  return lenses.filter((l) => l.command && /Call|Iteration|◀|▶|Clear/.test(l.command.title) && !/Explain/.test(l.command.title)).map((l) => l.command!.title);
}

async function hoverText(file: string, line: number): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', vscode.Uri.file(file), new vscode.Position(line - 1, 4));
  return hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n---\n');
}

suite('trace values', () => {
  test('traces test_ten_percent_off and shows the values after each block of apply_discount, with a hover, and the call as a table in the Ducktrace view', async () => {
    if (process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the trusted pass');
    const { traceValues, explain } = await api();
    const pricing = path.join(workspace(), 'pricing.py');
    const shown = await vscode.commands.executeCommand<ShownTrace | undefined>(CommandIds.traceFailingTest, pytestTest('test_ten_percent_off', 9));
    assert.ok(shown, 'a trace is shown');
    assert.equal(shown.target.functionName, 'apply_discount');
    assert.equal(shown.target.file, pricing);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, pricing);
    // Only what each block changed is drawn (the parameters did not change); the hover has everything.
    assert.deepEqual(valuesOf(shown), {
      'b2@6': 'no change',
      'b3@7': 'not run in this call',
      'b4@9': 'discounted = 0.0',
    });
    assert.deepEqual(await lensTitles(pricing), ['$(debug-alt-small) Call 1 of 1: apply_discount(price=80, percent=10) → 0.0', 'Clear']);
    const hover = await hoverText(pricing, 9);
    assert.match(hover, /after block b4/);
    assert.match(hover, /`discounted` \(float\): `0\.0`/);
    assert.match(hover, /`price` \(int\): `80`/);
    assert.match(hover, /returned `0\.0` \(float\)/);
    assert.equal(await hoverText(pricing, 8), '', 'no hover away from a block\'s last line');
    // The Ducktrace view shows the same call as a table: a row per step, a column per variable.
    const table = explain.current.traceTable;
    assert.ok(table, 'the view has the trace table');
    assert.equal(table.summary, 'apply_discount(price=80, percent=10) → 0.0');
    assert.deepEqual(table.columns, ['price', 'percent', 'discounted']);
    assert.deepEqual(table.rows.map((r) => [r.blockId, r.iteration, ...r.cells]), [
      ['b2', 1, '80', '10', ''],
      ['b4', 1, '80', '10', '0.0'],
    ]);
    assert.equal(explain.current.target?.name, 'apply_discount');
    await vscode.commands.executeCommand('ducktrace.explanation.focus');
    await new Promise((r) => setTimeout(r, 800));
    await screenshot('trace-values-apply-discount');
    await vscode.commands.executeCommand(CommandIds.clearTrace);
    assert.equal(traceValues.current, undefined);
    assert.equal(explain.current.traceTable, undefined, 'clearing the trace clears the table');
    assert.deepEqual(await lensTitles(pricing), []);
  }, 90_000);

  test('steps through the iterations of total()\'s loop, and an edit clears the values', async () => {
    if (process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the trusted pass');
    const { traceValues } = await api();
    const pricing = path.join(workspace(), 'pricing.py');
    const shown = await traceValues.traceTest(pytestTest('test_total', 13));
    assert.ok(shown, 'a trace is shown');
    assert.equal(shown.target.functionName, 'total');
    assert.deepEqual([shown.calls, shown.iterations, shown.selection.iteration], [1, 3, 1]);
    assert.deepEqual(valuesOf(shown), {
      'b1@14': 'result = 0',
      'b2@15': "_name = 'pen', quantity = 2, unit_price = 1.5",
      'b3@16': 'result = 3.0',
      'b4@17': 'no change',
    });
    assert.match(await hoverText(pricing, 14), /`items` \(list, length 2\): `\[/, "the unchanged argument is in the hover");
    assert.ok((await lensTitles(pricing)).includes('Iteration 1 of 3'));

    await vscode.commands.executeCommand(CommandIds.traceNextIteration);
    let now = valuesOf(traceValues.current);
    assert.equal(traceValues.current?.selection.iteration, 2);
    assert.equal(now['b2@15'], "_name = 'book', quantity = 1, unit_price = 12");
    assert.equal(now['b3@16'], 'result = 15.0');
    assert.deepEqual(await lensTitles(pricing), ["$(debug-alt-small) Call 1 of 1: total(items=[('pen', 2, 1.5), ('boo…) → 15.0", 'Iteration 2 of 3', '◀', '▶', 'Clear']);
    const hover = await hoverText(pricing, 16);
    assert.match(hover, /call 1 of 1, iteration 2\n/);
    assert.match(hover, /`result` \(float\): `15\.0`/);
    await new Promise((r) => setTimeout(r, 500));
    await screenshot('trace-values-total-iteration-2');

    // The loop header's exit visit is iteration 3; the body keeps its last (2nd) visit.
    await vscode.commands.executeCommand(CommandIds.traceNextIteration);
    await vscode.commands.executeCommand(CommandIds.traceNextIteration);
    assert.equal(traceValues.current?.selection.iteration, 3, 'clamped at the last iteration');
    now = valuesOf(traceValues.current);
    assert.equal(now['b2@15'], 'no change', 'the exit visit of the loop header changes nothing');
    assert.match(await hoverText(pricing, 16), /iteration 2 \(its latest visit up to iteration 3\)/);
    await vscode.commands.executeCommand(CommandIds.tracePreviousIteration);
    assert.equal(traceValues.current?.selection.iteration, 2);
    await vscode.commands.executeCommand(CommandIds.traceNextCall); // one call only: stays
    assert.deepEqual(traceValues.current?.selection, { call: 0, iteration: 2 });

    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.fsPath, pricing);
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), '# edited\n'));
    assert.equal(traceValues.current, undefined, 'an edit clears the values');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  }, 90_000);

});

// The untrusted pass runs only the "workspace trust" suite.
suite('workspace trust', () => {
  test('Trace Failing Test traces nothing in an untrusted workspace', async () => {
    if (!process.env.DUCKTRACE_TEST_UNTRUSTED) throw new SkipTest('runs in the --untrusted pass');
    const { traceValues } = await api();
    const shown = await vscode.commands.executeCommand(CommandIds.traceFailingTest, pytestTest('test_ten_percent_off', 9));
    assert.equal(shown, undefined);
    assert.equal(traceValues.current, undefined);
    assert.equal(fs.existsSync(path.join(workspace(), 'ran.txt')), false, 'pytest never ran');
  });
});
