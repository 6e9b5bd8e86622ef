/** Operational failures of a store, typed so the runtime can tell them apart. */

/** Why a store failed: held by another open store, an I/O failure, or the engine found corruption. */
export type StorageErrorCode = 'locked' | 'io' | 'corrupt';

/** A store failure; `cause` carries the engine's own error. */
export class StorageError extends Error {
  /** Stable name, also for logs. */
  override readonly name = 'StorageError';

  constructor(
    /** What kind of failure it is. */
    readonly code: StorageErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
