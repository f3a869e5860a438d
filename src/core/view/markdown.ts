// The markdown models write (explanations, verdicts, summaries), parsed into a small tree that the
// webview turns into DOM elements of a fixed set with text nodes only. Nothing in the input can
// become HTML, an attribute, a URL to load or a script: tags are text, links show their text and
// address as text. Covered: fenced and indented code, headings, bullet and numbered lists, block
// quotes, paragraphs; inline code (any backtick run), strong, emphasis, links.

export type MdInline =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string }
  | { readonly kind: 'strong' | 'em'; readonly children: readonly MdInline[] }
  /** A link is shown, never followed: its text, and its address as a tooltip. */
  | { readonly kind: 'link'; readonly children: readonly MdInline[]; readonly href: string };

export type MdBlock =
  | { readonly kind: 'paragraph'; readonly children: readonly MdInline[] }
  | { readonly kind: 'heading'; readonly level: number; readonly children: readonly MdInline[] }
  | { readonly kind: 'list'; readonly ordered: boolean; readonly items: readonly (readonly MdInline[])[] }
  | { readonly kind: 'code'; readonly language: string; readonly text: string }
  | { readonly kind: 'quote'; readonly children: readonly MdBlock[] };

const fenceRe = /^ {0,3}(`{3,}|~{3,})\s*(.*)$/;
const headingRe = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const itemRe = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;
const quoteRe = /^ {0,3}>\s?(.*)$/;

export function parseMarkdown(md: string): MdBlock[] {
  const lines = md.replace(/\r\n?/g, '\n').split('\n');
  const out: MdBlock[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = openingFence(line);
    if (fence) {
      const marker = fence[1]!;
      const closing = new RegExp(`^ {0,3}${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
      const code: string[] = [];
      i++;
      while (i < lines.length && !closing.test(lines[i]!)) code.push(lines[i++]!);
      i++; // the closing fence (or the end)
      out.push({ kind: 'code', language: (fence[2] ?? '').trim(), text: code.join('\n') });
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const heading = headingRe.exec(line);
    if (heading) {
      out.push({ kind: 'heading', level: heading[1]!.length, children: parseInline(heading[2]!) });
      i++;
      continue;
    }
    if (quoteRe.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && quoteRe.test(lines[i]!)) inner.push(quoteRe.exec(lines[i++]!)![1]!);
      out.push({ kind: 'quote', children: parseMarkdown(inner.join('\n')) });
      continue;
    }
    const item = itemRe.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1]!);
      const items: MdInline[][] = [];
      let current: string[] = [];
      while (i < lines.length) {
        const l = lines[i]!;
        const m = itemRe.exec(l);
        if (m && /\d/.test(m[1]!) === ordered) {
          if (current.length) items.push(parseInline(current.join(' ')));
          current = [m[2]!];
        } else if (l.trim() !== '' && /^\s+\S/.test(l) && !openingFence(l)) {
          current.push(l.trim()); // a continuation line of the item
        } else break;
        i++;
      }
      if (current.length) items.push(parseInline(current.join(' ')));
      out.push({ kind: 'list', ordered, items });
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const code: string[] = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]!) || (lines[i]!.trim() === '' && /^( {4}|\t)/.test(lines[i + 1] ?? '')))) code.push(lines[i++]!.replace(/^( {4}|\t)/, ''));
      out.push({ kind: 'code', language: '', text: code.join('\n') });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && !openingFence(lines[i]!) && !headingRe.test(lines[i]!) && !itemRe.test(lines[i]!) && !quoteRe.test(lines[i]!)) para.push(lines[i++]!.trim());
    out.push({ kind: 'paragraph', children: parseInline(para.join(' ')) });
  }
  return out;
}

/** A fence line: three or more backticks or tildes (a backtick fence's info has no backtick). */
function openingFence(line: string): RegExpExecArray | undefined {
  const m = fenceRe.exec(line);
  return m && !(m[1]![0] === '`' && m[2]!.includes('`')) ? m : undefined;
}

/** Inline markdown: code spans first (nothing inside them is markup), then links, strong, emphasis. */
export function parseInline(text: string): MdInline[] {
  const out: MdInline[] = [];
  let plain = '';
  const flush = () => {
    if (plain) out.push({ kind: 'text', text: plain });
    plain = '';
  };
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '\\' && i + 1 < text.length && /[\\`*_[\]()#>-]/.test(text[i + 1]!)) {
      plain += text[i + 1];
      i += 2;
      continue;
    }
    if (ch === '`') {
      const run = /^`+/.exec(text.slice(i))![0];
      const close = findRun(text, run, i + run.length);
      if (close >= 0) {
        flush();
        let code = text.slice(i + run.length, close);
        if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim()) code = code.slice(1, -1);
        out.push({ kind: 'code', text: code });
        i = close + run.length;
        continue;
      }
      plain += run;
      i += run.length;
      continue;
    }
    if (ch === '[') {
      const link = /^\[([^\]]+)\]\(([^()\s]*(?:\([^()\s]*\)[^()\s]*)*)\)/.exec(text.slice(i));
      if (link) {
        flush();
        out.push({ kind: 'link', children: parseInline(link[1]!), href: link[2]! });
        i += link[0].length;
        continue;
      }
    }
    if (ch === '*' || ch === '_') {
      const double = text[i + 1] === ch;
      const marker = double ? ch + ch : ch;
      const start = i + marker.length;
      const close = closingEmphasis(text, marker, start);
      // Emphasis needs text right after the opener and right before the closer; `_` not inside words.
      const wordInside = ch === '_' && ((i > 0 && /\w/.test(text[i - 1]!)) || (close >= 0 && /\w/.test(text[close + marker.length] ?? '')));
      if (close > start && !/\s/.test(text[start]!) && !/\s/.test(text[close - 1]!) && !wordInside) {
        flush();
        out.push({ kind: double ? 'strong' : 'em', children: parseInline(text.slice(start, close)) });
        i = close + marker.length;
        continue;
      }
    }
    plain += ch;
    i++;
  }
  flush();
  return out;
}

/** The next run of exactly `run` backticks from `from`, or -1. */
function findRun(text: string, run: string, from: number): number {
  for (let j = text.indexOf(run, from); j >= 0; j = text.indexOf(run, j + 1)) {
    const before = text[j - 1] === '`';
    const after = text[j + run.length] === '`';
    if (!before && !after) return j;
    // skip the whole longer run
    while (text[j + 1] === '`') j++;
  }
  return -1;
}

/** The closing marker of an emphasis, skipping code spans, or -1. */
function closingEmphasis(text: string, marker: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '`') {
      const run = /^`+/.exec(text.slice(j))![0];
      const close = findRun(text, run, j + run.length);
      if (close >= 0) {
        j = close + run.length - 1;
        continue;
      }
    }
    if (text.startsWith(marker, j) && (marker.length === 2 || text[j + 1] !== marker)) return j;
    if (marker.length === 1 && text.startsWith(marker + marker, j)) j++;
  }
  return -1;
}

/** The text a reader sees, without markup (for logs, tooltips and tests). */
export function markdownText(blocks: readonly MdBlock[]): string {
  const inline = (xs: readonly MdInline[]): string => xs.map((x) => (x.kind === 'text' || x.kind === 'code' ? x.text : inline(x.children))).join('');
  return blocks
    .map((b) => {
      switch (b.kind) {
        case 'paragraph':
        case 'heading':
          return inline(b.children);
        case 'list':
          return b.items.map((it) => inline(it)).join('\n');
        case 'code':
          return b.text;
        case 'quote':
          return markdownText(b.children);
      }
    })
    .join('\n');
}
