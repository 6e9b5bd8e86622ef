/** The operational error type for key material, in its own module so every crypto file can throw it. */

/** Why a key (or a key file) was refused. */
export type KeyErrorCode =
  | 'bad-length'
  | 'bad-encoding'
  | 'small-order'
  | 'not-torsion-free'
  | 'bad-key-file';

/** A refused key or key file; `code` says why, so callers can branch without parsing messages. */
export class KeyError extends Error {
  /** Machine-readable reason. */
  readonly code: KeyErrorCode;

  /** Builds the error; `cause` carries the underlying failure, if any. */
  constructor(code: KeyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeyError';
    this.code = code;
  }
}
