// What the JavaScript instrumenter needs to know about names, read from the syntax tree: the
// parameters, every binding the function body makes and where it becomes readable (no temporal dead
// zone), the variables of enclosing functions it reads, and the class it belongs to. Pure.

import { childrenOf, codeChildrenOf, field, type SyntaxNode } from '../blocks/syntaxNode';

export const functionTypes: ReadonlySet<string> = new Set([
  'function_declaration',
  'function_expression',
  'function',
  'generator_function',
  'generator_function_declaration',
  'arrow_function',
  'method_definition',
]);
export const classTypes: ReadonlySet<string> = new Set(['class_declaration', 'class', 'abstract_class_declaration']);

/** One binding of the function: where it is visible and from where it may be read. */
export interface Declaration {
  readonly name: string;
  /** The range the name is visible in. */
  readonly scopeStart: number;
  readonly scopeEnd: number;
  /** Where the declaration has run: reading the name before this offset is a TDZ error (let/const/class). */
  readonly readyAt: number;
  readonly lexical: boolean;
  /** Declared in a `switch` body: a case may have skipped it. */
  readonly risky: boolean;
}

/** Names bound by a binding pattern: `a`, `{ b, c: [d] }`, `e = 1`, `...r`, TypeScript's `x?: T`. */
export function patternNames(node: SyntaxNode | undefined): string[] {
  if (!node) return [];
  switch (node.type) {
    case 'identifier':
    case 'shorthand_property_identifier_pattern':
      return [node.text];
    case 'required_parameter':
    case 'optional_parameter':
      return patternNames(field(node, 'pattern'));
    case 'assignment_pattern':
    case 'object_assignment_pattern':
      return patternNames(field(node, 'left'));
    case 'pair_pattern':
      return patternNames(field(node, 'value'));
    case 'rest_pattern':
    case 'object_pattern':
    case 'array_pattern':
      return codeChildrenOf(node).flatMap((c) => patternNames(c));
    default:
      return [];
  }
}

export function parametersOf(fn: SyntaxNode): string[] {
  const single = field(fn, 'parameter');
  if (single) return patternNames(single);
  const params = field(fn, 'parameters');
  if (!params) return [];
  return codeChildrenOf(params).flatMap((p) => (p.type === 'identifier' && p.text === 'this' ? [] : patternNames(p)));
}

/** Every binding the function body makes, outside nested functions and classes. */
export function declarationsOf(fn: SyntaxNode, body: SyntaxNode): Declaration[] {
  const out: Declaration[] = [];
  const fnScope = { start: fn.startIndex, end: fn.endIndex };
  const visit = (node: SyntaxNode, scope: { start: number; end: number }, inSwitch: boolean) => {
    for (const child of childrenOf(node)) {
      const t = child.type;
      if (t === 'function_declaration' || t === 'generator_function_declaration') {
        const name = field(child, 'name')?.text;
        if (name) out.push({ name, scopeStart: scope.start, scopeEnd: scope.end, readyAt: child.endIndex, lexical: false, risky: false });
        continue;
      }
      if (classTypes.has(t)) {
        const name = t === 'class' ? undefined : field(child, 'name')?.text;
        if (name) out.push({ name, scopeStart: scope.start, scopeEnd: scope.end, readyAt: child.endIndex, lexical: true, risky: inSwitch });
        continue;
      }
      if (functionTypes.has(t) || t === 'class') continue;
      if (t === 'variable_declaration' || t === 'lexical_declaration') {
        const lexical = t === 'lexical_declaration';
        const s = lexical ? scope : fnScope;
        for (const d of codeChildrenOf(child).filter((c) => c.type === 'variable_declarator')) {
          for (const name of patternNames(field(d, 'name'))) {
            out.push({ name, scopeStart: s.start, scopeEnd: s.end, readyAt: child.endIndex, lexical, risky: lexical && inSwitch });
          }
        }
        // Initialisers may hold nested functions only: nothing more to bind here.
        continue;
      }
      if (t === 'for_in_statement') {
        const kind = field(child, 'kind')?.text;
        const left = field(child, 'left');
        const lexical = kind === 'let' || kind === 'const';
        const s = kind === 'var' ? fnScope : { start: child.startIndex, end: child.endIndex };
        if (kind) for (const name of patternNames(left)) out.push({ name, scopeStart: s.start, scopeEnd: s.end, readyAt: left?.endIndex ?? child.startIndex, lexical, risky: false });
        visit(child, { start: child.startIndex, end: child.endIndex }, false);
        continue;
      }
      if (t === 'for_statement') {
        visit(child, { start: child.startIndex, end: child.endIndex }, false);
        continue;
      }
      if (t === 'catch_clause') {
        const param = field(child, 'parameter');
        for (const name of patternNames(param)) out.push({ name, scopeStart: child.startIndex, scopeEnd: child.endIndex, readyAt: param?.endIndex ?? child.startIndex, lexical: true, risky: false });
        visit(child, { start: child.startIndex, end: child.endIndex }, false);
        continue;
      }
      if (t === 'statement_block' || t === 'switch_body') {
        visit(child, { start: child.startIndex, end: child.endIndex }, t === 'switch_body' || (inSwitch && t !== 'statement_block'));
        continue;
      }
      visit(child, scope, inSwitch);
    }
  };
  visit(body.type === 'statement_block' ? body : fn, { start: body.startIndex, end: body.endIndex }, false);
  return out;
}

/**
 * Variables of enclosing functions that the function reads (a closure's state): read through a
 * guarded closure, since the outer declaration may not have run when the function is called.
 */
export function freeVariables(fn: SyntaxNode, body: SyntaxNode, own: ReadonlySet<string>): string[] {
  const outer = new Set<string>();
  for (let node = fn.parent; node; node = node.parent) {
    if (!functionTypes.has(node.type)) continue;
    const outerBody = field(node, 'body');
    if (!outerBody) continue;
    for (const name of parametersOf(node)) outer.add(name);
    for (const d of declarationsOf(node, outerBody)) outer.add(d.name);
  }
  const used: string[] = [];
  const visit = (n: SyntaxNode) => {
    for (const child of childrenOf(n)) {
      if (child.type === 'identifier' && outer.has(child.text) && !own.has(child.text) && !used.includes(child.text)) used.push(child.text);
      visit(child);
    }
  };
  visit(body);
  return used;
}

/** Variables that may be read at `offset`: parameters first, then locals in declaration order. */
export function visibleAt(offset: number, params: readonly string[], declarations: readonly Declaration[]): { name: string; risky: boolean }[] {
  const innermost = new Map<string, Declaration>();
  for (const d of declarations) {
    if (offset < d.scopeStart || offset >= d.scopeEnd) continue;
    const seen = innermost.get(d.name);
    // A redeclared `var` is one binding; an inner `let` shadows an outer one.
    if (!seen || d.scopeEnd - d.scopeStart < seen.scopeEnd - seen.scopeStart || (d.scopeStart === seen.scopeStart && d.readyAt <= offset && seen.readyAt > offset)) {
      innermost.set(d.name, d);
    }
  }
  // A parameter stays readable unless a `let`/`const` of the same name shadows it here.
  const out: { name: string; risky: boolean }[] = params.filter((p) => !innermost.get(p)?.lexical).map((name) => ({ name, risky: false }));
  const ready = [...innermost.values()].filter((d) => d.readyAt <= offset).sort((a, b) => a.readyAt - b.readyAt);
  for (const d of ready) if (!out.some((o) => o.name === d.name)) out.push({ name: d.name, risky: d.risky });
  return out;
}

export function enclosingClass(fn: SyntaxNode): SyntaxNode | undefined {
  let node = fn.parent;
  // A method's class is its grandparent (class_body -> class); an arrow in a field too.
  while (node && !classTypes.has(node.type)) {
    if (functionTypes.has(node.type) && node.type !== 'arrow_function') return undefined;
    node = node.parent;
  }
  return node ?? undefined;
}

/** `#x` fields the class declares as data (not private methods or accessors, whose reads run code). */
export function privateDataFields(cls: SyntaxNode | undefined): Set<string> {
  const names = new Set<string>();
  const body = cls && field(cls, 'body');
  if (!body) return names;
  for (const member of codeChildrenOf(body)) {
    if (member.type !== 'field_definition' && member.type !== 'public_field_definition') continue;
    const name = field(member, 'property') ?? field(member, 'name');
    if (name?.type === 'private_property_identifier') names.add(name.text);
  }
  return names;
}
