/** Typed operational errors of the ledger (lodestar style: a class with a stable `code`). */

/** Why a ledger could not be built: a bad genesis configuration or a bad snapshot. */
export type LedgerErrorCode = 'bad-genesis' | 'bad-snapshot';

/** The only exception the ledger throws on bad input; anything else is a bug. */
export class LedgerError extends Error {
  /** Stable machine-readable reason, usable as a metric label. */
  readonly code: LedgerErrorCode;

  constructor(code: LedgerErrorCode, detail: string) {
    super(`${code}: ${detail}`);
    this.name = 'LedgerError';
    this.code = code;
  }
}
