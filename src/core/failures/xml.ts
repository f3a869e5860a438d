// Just enough XML for test reports (JUnit): elements, attributes, text, CDATA and entities.
// No namespaces, no DTDs; comments and processing instructions are skipped.

export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: XmlElement[];
  /** The element's own text (CDATA included), entities decoded. */
  text: string;
}

export class XmlError extends Error {}

const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith('#x')) return String.fromCodePoint(parseInt(body.slice(2), 16));
    if (body.startsWith('#')) return String.fromCodePoint(parseInt(body.slice(1), 10));
    return entities[body] ?? whole;
  });
}

const attribute = /([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/g;

/** Parses a document and returns its root element. Throws XmlError on malformed input. */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [], text: '' };
  const stack: XmlElement[] = [root];
  let i = 0;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const top = stack[stack.length - 1];
    if (lt < 0) {
      top.text += decodeEntities(text.slice(i));
      break;
    }
    if (lt > i) top.text += decodeEntities(text.slice(i, lt));
    if (text.startsWith('<!--', lt)) {
      const end = text.indexOf('-->', lt + 4);
      if (end < 0) throw new XmlError('unterminated comment');
      i = end + 3;
    } else if (text.startsWith('<![CDATA[', lt)) {
      const end = text.indexOf(']]>', lt + 9);
      if (end < 0) throw new XmlError('unterminated CDATA section');
      top.text += text.slice(lt + 9, end);
      i = end + 3;
    } else if (text.startsWith('<?', lt) || text.startsWith('<!', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) throw new XmlError('unterminated declaration');
      i = end + 1;
    } else if (text.startsWith('</', lt)) {
      const end = text.indexOf('>', lt);
      if (end < 0) throw new XmlError('unterminated closing tag');
      const name = text.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (!open || open === root || open.name !== name) throw new XmlError(`unexpected </${name}>`);
      i = end + 1;
    } else {
      const end = findTagEnd(text, lt);
      if (end < 0) throw new XmlError('unterminated tag');
      const selfClosing = text[end - 1] === '/';
      const body = text.slice(lt + 1, selfClosing ? end - 1 : end);
      const name = /^[^\s/>]+/.exec(body)?.[0];
      if (!name) throw new XmlError(`bad tag at ${lt}`);
      const attributes: Record<string, string> = {};
      for (const m of body.slice(name.length).matchAll(attribute)) attributes[m[1]] = decodeEntities(m[3] ?? m[4] ?? '');
      const element: XmlElement = { name, attributes, children: [], text: '' };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
      i = end + 1;
    }
  }
  if (stack.length !== 1) throw new XmlError(`unclosed <${stack[stack.length - 1].name}>`);
  const first = root.children[0];
  if (!first) throw new XmlError('no root element');
  return first;
}

/** The `>` closing the tag opened at `lt`, skipping quoted attribute values. */
function findTagEnd(text: string, lt: number): number {
  let quote: string | undefined;
  for (let j = lt + 1; j < text.length; j++) {
    const c = text[j];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return j;
  }
  return -1;
}

export function* descendants(e: XmlElement, name: string): Generator<XmlElement> {
  for (const child of e.children) {
    if (child.name === name) yield child;
    yield* descendants(child, name);
  }
}
