import assert from 'node:assert/strict';
import { test } from 'node:test';
import { markdownText, parseInline, parseMarkdown, type MdBlock, type MdInline } from '../../../src/core/view/markdown';

test('an explanation with bold, code and emphasis becomes a tree, no markup left in its text', () => {
  const blocks = parseMarkdown('**Explanation.** The discount divides `percent` by **10** instead of *100*.');
  assert.deepEqual(blocks, [
    {
      kind: 'paragraph',
      children: [
        { kind: 'strong', children: [{ kind: 'text', text: 'Explanation.' }] },
        { kind: 'text', text: ' The discount divides ' },
        { kind: 'code', text: 'percent' },
        { kind: 'text', text: ' by ' },
        { kind: 'strong', children: [{ kind: 'text', text: '10' }] },
        { kind: 'text', text: ' instead of ' },
        { kind: 'em', children: [{ kind: 'text', text: '100' }] },
        { kind: 'text', text: '.' },
      ],
    },
  ]);
  assert.equal(markdownText(blocks), 'Explanation. The discount divides percent by 10 instead of 100.');
});

test('HTML in model text stays text: tags, entities and script are never markup', () => {
  const hostile = '<img src=x onerror="alert(1)"> <script>alert(2)</script> &lt;b&gt; [click](javascript:alert(3))';
  const blocks = parseMarkdown(hostile);
  const kinds = (xs: readonly MdInline[]): string[] => xs.flatMap((x) => (x.kind === 'text' || x.kind === 'code' ? [x.kind] : [x.kind, ...kinds(x.children)]));
  const para = blocks[0] as Extract<MdBlock, { kind: 'paragraph' }>;
  assert.deepEqual([...new Set(kinds(para.children))].sort(), ['link', 'text']);
  assert.equal(markdownText(blocks), '<img src=x onerror="alert(1)"> <script>alert(2)</script> &lt;b&gt; click');
  const link = para.children.find((c) => c.kind === 'link') as Extract<MdInline, { kind: 'link' }>;
  assert.equal(link.href, 'javascript:alert(3)', 'kept as data for a tooltip; the view never makes it clickable');
});

test('code spans: any backtick run, nothing inside is markup', () => {
  assert.deepEqual(parseInline('use ``a ` b`` and `**x**`'), [
    { kind: 'text', text: 'use ' },
    { kind: 'code', text: 'a ` b' },
    { kind: 'text', text: ' and ' },
    { kind: 'code', text: '**x**' },
  ]);
  assert.deepEqual(parseInline('an unclosed ` tick'), [{ kind: 'text', text: 'an unclosed ` tick' }]);
});

test('underscores inside identifiers are not emphasis; escaped markers stay', () => {
  assert.deepEqual(parseInline('apply_discount and total_price'), [{ kind: 'text', text: 'apply_discount and total_price' }]);
  assert.deepEqual(parseInline('2 * 3 * 4 and \\*not\\*'), [{ kind: 'text', text: '2 * 3 * 4 and *not*' }]);
});

test('blocks: fenced code, headings, lists with continuation lines, quotes, indented code', () => {
  const md = ['### Why', '', '1. first', '   still first', '2. second', '', '- a', '* b', '', '> quoted **bold**', '', '```python', 'x = 1', '', 'y = 2', '```', '', '    indented()', 'after'].join('\n');
  const blocks = parseMarkdown(md);
  assert.deepEqual(
    blocks.map((b) => b.kind),
    ['heading', 'list', 'list', 'quote', 'code', 'code', 'paragraph'],
  );
  assert.deepEqual((blocks[1] as Extract<MdBlock, { kind: 'list' }>).items.map((i) => markdownText([{ kind: 'paragraph', children: i }])), ['first still first', 'second']);
  assert.equal((blocks[1] as Extract<MdBlock, { kind: 'list' }>).ordered, true);
  assert.deepEqual(blocks[4], { kind: 'code', language: 'python', text: 'x = 1\n\ny = 2' });
  assert.deepEqual(blocks[5], { kind: 'code', language: '', text: 'indented()' });
});

test('an unclosed fence takes the rest as code; CRLF input reads the same', () => {
  assert.deepEqual(parseMarkdown('text\r\n```\r\ncode <b>'), [
    { kind: 'paragraph', children: [{ kind: 'text', text: 'text' }] },
    { kind: 'code', language: '', text: 'code <b>' },
  ]);
});

test('any input parses without throwing and keeps its visible characters (fuzz)', () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const alphabet = ['*', '_', '`', '[', ']', '(', ')', '#', '>', '-', '1.', ' ', '\n', 'a', 'b', '<', '\\', '~~~', '```'];
  for (let n = 0; n < 3000; n++) {
    const s = Array.from({ length: Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('');
    const text = everything(parseMarkdown(s));
    for (const ch of 'ab<') assert.equal(text.split(ch).length, s.split(ch).length, `"${ch}" kept in ${JSON.stringify(s)} -> ${JSON.stringify(text)}`);
  }
});

/** Every character the tree holds, link addresses included. */
function everything(blocks: readonly MdBlock[]): string {
  const inline = (xs: readonly MdInline[]): string => xs.map((x) => (x.kind === 'text' || x.kind === 'code' ? x.text : x.kind === 'link' ? inline(x.children) + x.href : inline(x.children))).join('');
  return blocks
    .map((b) => (b.kind === 'code' ? b.language + b.text : b.kind === 'quote' ? everything(b.children) : b.kind === 'list' ? b.items.map(inline).join('') : inline(b.children)))
    .join('');
}
