// Shell command lines (a terminal's command, a package.json script) as words, with `shell-quote`
// doing the lexing: quotes and escapes are respected, so `--config="a b.js"` stays one word and a
// `&&` inside quotes separates nothing. Each segment between `&&`, `||`, `;`, `|` and `&` is one
// command: its leading `NAME=value` assignments are its environment, redirections are dropped.
import { parse, type ParseEntry } from 'shell-quote';

export interface Word {
  readonly text: string;
  /** An unquoted word with `*`, `?` or `[`: the shell expands it before the program sees it. */
  readonly shellGlob?: boolean;
}

export interface CommandSegment {
  /** Assignments in front of the command (`NODE_ENV=test jest`), in order. */
  readonly env: Readonly<Record<string, string>>;
  readonly words: readonly Word[];
}

const separators = new Set(['&&', '||', ';', ';;', '|', '|&', '&', '(', ')']);
const redirections = new Set(['>', '>>', '<', '>&', '<(']);
const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s;

/** The command segments of a command line; `$VAR` stays as written (nothing is expanded). */
export function commandSegments(commandLine: string): CommandSegment[] {
  let entries: ParseEntry[];
  try {
    entries = parse(commandLine, (name: string) => `$${name}`) as ParseEntry[];
  } catch {
    return [];
  }
  const segments: CommandSegment[] = [];
  let words: Word[] = [];
  const flush = () => {
    const env: Record<string, string> = {};
    let i = 0;
    for (; i < words.length; i++) {
      const m = assignment.exec(words[i].text);
      if (!m) break;
      env[m[1]] = m[2];
    }
    if (i < words.length) segments.push({ env, words: words.slice(i) });
    words = [];
  };
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (typeof e === 'string') words.push({ text: e });
    else if ('comment' in e) break;
    else if (e.op === 'glob') words.push({ text: e.pattern, shellGlob: true });
    else if (separators.has(e.op)) flush();
    else if (redirections.has(e.op)) {
      // `2>&1`, `> out.txt`: the file descriptor in front and the target after are no arguments.
      if (words.length && /^\d+$/.test(words[words.length - 1].text)) words.pop();
      i++;
    }
  }
  flush();
  return segments;
}

/** Just the words of each segment, as plain strings. */
export function segmentWords(commandLine: string): string[][] {
  return commandSegments(commandLine).map((s) => s.words.map((w) => w.text));
}
