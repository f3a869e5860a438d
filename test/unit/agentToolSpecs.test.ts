// The agent tools are declared once (src/host/agents/agentToolSpecs.ts): package.json's
// `languageModelTools` must say the same to VS Code (names, what the model reads, input schemas),
// and the chat participant and the MCP provider must be declared where the code registers them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { editorToolSpecs, inputJsonSchema, mcpToolSpecs, traceTestInput } from '../../src/host/agents/agentToolSpecs';
import { repoRoot } from './support/fixtures';

interface ToolContribution {
  readonly name: string;
  readonly modelDescription: string;
  readonly inputSchema: unknown;
  readonly toolReferenceName?: string;
}

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  contributes: { languageModelTools: ToolContribution[]; chatParticipants: { id: string; name: string; commands: { name: string }[] }[]; mcpServerDefinitionProviders: { id: string }[] };
};

test("package.json declares each editor tool with the spec's description and input schema", () => {
  const declared = pkg.contributes.languageModelTools;
  assert.deepEqual(declared.map((t) => t.name), editorToolSpecs.map((s) => s.name));
  for (const spec of editorToolSpecs) {
    const tool = declared.find((t) => t.name === spec.name)!;
    assert.equal(tool.modelDescription, spec.description, spec.name);
    assert.deepEqual(tool.inputSchema, inputJsonSchema(spec), `${spec.name}: regenerate package.json's inputSchema from the zod schema`);
  }
});

test('the MCP server offers the editor tools and blocks, with the same names', () => {
  assert.deepEqual(mcpToolSpecs.map((s) => s.name), ['ducktrace_failingTests', 'ducktrace_traceTest', 'ducktrace_suspiciousBlocks', 'ducktrace_blocks', 'ducktrace_proposeFix']);
});

test('the chat participant and the MCP provider are declared', () => {
  const chat = pkg.contributes.chatParticipants.find((p) => p.id === 'ducktrace.chat');
  assert.equal(chat?.name, 'ducktrace');
  assert.deepEqual(chat?.commands.map((c) => c.name), ['explain', 'fix', 'trace']);
  assert.deepEqual(pkg.contributes.mcpServerDefinitionProviders.map((p) => p.id), ['ducktrace.mcpServers']);
});

test("traceTest's input accepts a call, an iteration range and one variable, and refuses nonsense", () => {
  assert.ok(traceTestInput.safeParse({ test: 'a.py::t', call: 2, fromIteration: 3, toIteration: 5, variable: 'n', maxTokens: 800 }).success);
  assert.ok(traceTestInput.safeParse({}).success, 'everything is optional: the failing test under the cursor');
  assert.equal(traceTestInput.safeParse({ call: 0 }).success, false);
  assert.equal(traceTestInput.safeParse({ maxTokens: 50 }).success, false);
  assert.equal(traceTestInput.safeParse({ fromIteration: 'three' }).success, false);
});
