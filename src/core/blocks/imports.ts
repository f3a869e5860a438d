// What a file imports, read from its syntax tree: enough to follow a test's calls to the
// functions under test. Module specifiers are returned as written; moduleResolution.ts maps them
// to files.

import { familyOf, type SourceLanguage } from './languages';
import { childrenOf, codeChildrenOf, field, walk, type SyntaxNode } from './syntaxNode';

export interface ImportBinding {
  /** The name the importing file uses: `d` in `from m import c as d`, `ns` in `import * as ns`; `*` for Python's `from m import *`. */
  readonly local: string;
  /** As written: `inventory.cart`, `.models`, `./pricing`, `../src/format.mjs`. */
  readonly module: string;
  /**
   * The imported name in that module, `default` for a default import, or `*` when the binding
   * is the module itself (`import m`, `import * as m`, `const m = require(...)`).
   */
  readonly imported: string;
}

export function readImports(root: SyntaxNode, language: SourceLanguage): ImportBinding[] {
  return familyOf(language) === 'python' ? pythonImports(root) : javascriptImports(root);
}

function pythonImports(root: SyntaxNode): ImportBinding[] {
  const bindings: ImportBinding[] = [];
  for (const node of walk(root)) {
    if (node.type === 'import_statement') {
      for (const name of node.childrenForFieldName('name')) {
        if (!name) continue;
        if (name.type === 'aliased_import') {
          const module = field(name, 'name')?.text;
          const alias = field(name, 'alias')?.text;
          if (module && alias) bindings.push({ local: alias, module, imported: '*' });
        } else {
          // `import a.b` binds `a`, and code reaches the module as `a.b`.
          bindings.push({ local: name.text, module: name.text, imported: '*' });
        }
      }
    } else if (node.type === 'import_from_statement') {
      const moduleNode = field(node, 'module_name');
      if (!moduleNode) continue;
      const module = moduleNode.text.replace(/\s+/g, '');
      // `from m import *`: every public name of m.
      if (childrenOf(node).some((c) => c.type === 'wildcard_import')) bindings.push({ local: '*', module, imported: '*' });
      for (const name of node.childrenForFieldName('name')) {
        if (!name) continue;
        if (name.type === 'aliased_import') {
          const imported = field(name, 'name')?.text;
          const alias = field(name, 'alias')?.text;
          if (imported && alias) bindings.push({ local: alias, module, imported });
        } else {
          bindings.push({ local: name.text, module, imported: name.text });
        }
      }
    }
  }
  return bindings;
}

function javascriptImports(root: SyntaxNode): ImportBinding[] {
  const bindings: ImportBinding[] = [];
  for (const node of walk(root)) {
    if (node.type === 'import_statement') {
      const module = stringValue(field(node, 'source'));
      const clause = childrenOf(node).find((c) => c.type === 'import_clause');
      if (module === undefined || !clause) continue;
      for (const part of codeChildrenOf(clause)) {
        if (part.type === 'identifier') bindings.push({ local: part.text, module, imported: 'default' });
        else if (part.type === 'namespace_import') {
          const local = codeChildrenOf(part).find((c) => c.type === 'identifier')?.text;
          if (local) bindings.push({ local, module, imported: '*' });
        } else if (part.type === 'named_imports') {
          for (const specifier of codeChildrenOf(part)) {
            const imported = field(specifier, 'name')?.text;
            const local = field(specifier, 'alias')?.text ?? imported;
            if (imported && local) bindings.push({ local, module, imported });
          }
        }
      }
    } else if (node.type === 'variable_declarator') {
      const module = requiredModule(field(node, 'value'));
      const target = field(node, 'name');
      if (module === undefined || !target) continue;
      if (target.type === 'identifier') bindings.push({ local: target.text, module, imported: '*' });
      else if (target.type === 'object_pattern') {
        for (const property of codeChildrenOf(target)) {
          if (property.type === 'shorthand_property_identifier_pattern') {
            bindings.push({ local: property.text, module, imported: property.text });
          } else if (property.type === 'pair_pattern') {
            const imported = field(property, 'key')?.text;
            const local = field(property, 'value');
            if (imported && local?.type === 'identifier') bindings.push({ local: local.text, module, imported });
          }
        }
      }
    }
  }
  return bindings;
}

/** The specifier of `require('...')`, or undefined for any other expression. */
function requiredModule(node: SyntaxNode | undefined): string | undefined {
  if (node?.type !== 'call_expression' || field(node, 'function')?.text !== 'require') return undefined;
  const args = field(node, 'arguments');
  const first = args ? codeChildrenOf(args)[0] : undefined;
  return stringValue(first);
}

function stringValue(node: SyntaxNode | undefined): string | undefined {
  if (!node || node.type !== 'string') return undefined;
  return node.text.slice(1, -1);
}
