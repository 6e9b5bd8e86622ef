/** The storage module's public surface: the stores of both protocols, in memory and on LevelDB, and recovery. */

export {
  assembleCft,
  type CftDurableState,
  CftEntryIndex,
  type CftStoredEntry,
  type CftValue,
  decodeCftValue,
  encodeCftValue,
  entryKey,
} from './cft-layout.js';
export { CftLevelStore } from './cft-level-store.js';
export { type CftRecovery, recoverCftState } from './cft-recover.js';
export { StorageError, type StorageErrorCode } from './errors.js';
export { LevelStore } from './level-store.js';
export { MemoryStore } from './memory-store.js';
export type { DurableState, ReplicaStore, StoredCertificate, StoredCheckpoint } from './types.js';
