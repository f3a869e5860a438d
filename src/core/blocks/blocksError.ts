// The ways finding and segmenting a function can fail, each with a message fit for a user.

export type BlocksErrorCode =
  /** The function (or, when finding by line, the code there) does not parse. */
  | 'syntax-error'
  | 'unknown-function'
  | 'ambiguous-function'
  | 'no-function-at-line'
  | 'unsupported-language';

export class BlocksError extends Error {
  constructor(
    readonly code: BlocksErrorCode,
    message: string,
    /** The 1-based line the error is about, when there is one. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'BlocksError';
  }
}
