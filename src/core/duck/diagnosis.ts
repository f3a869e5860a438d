// What the duck answers: a plain-words diagnosis, a verdict per basic block, and maybe a fix.
// Plain data, so the reply parser, the fix applier, the CLI and the editor can pass it around.

export interface BlockVerdict {
  /** The block id the prompt showed (`b1`, `b2`, ...). */
  readonly blockId: string;
  readonly correct: boolean;
  readonly why: string;
}

/** The corrected function, whole: it replaces exactly the target function's range. */
export interface FunctionFix {
  readonly kind: 'function';
  readonly code: string;
}

/** A unified diff. Its @@ line numbers are hints only: hunks are applied by their context. */
export interface DiffFix {
  readonly kind: 'diff';
  readonly diff: string;
}

export interface SearchReplaceEdit {
  readonly search: string;
  readonly replace: string;
}

/** Aider-style SEARCH/REPLACE edits, applied in order. */
export interface SearchReplaceFix {
  readonly kind: 'search-replace';
  readonly edits: readonly SearchReplaceEdit[];
}

export type Fix = FunctionFix | DiffFix | SearchReplaceFix;

export interface Diagnosis {
  readonly summary: string;
  readonly verdicts: readonly BlockVerdict[];
  readonly fix?: Fix;
  /** The model believes the test, not the implementation, is wrong: never applied automatically. */
  readonly testIsWrong?: { readonly claim: string };
}
