/** The storage module's public surface: the store contract, the in-memory and LevelDB stores. */
export { StorageError, type StorageErrorCode } from './errors.js';
export { JournalStore } from './journal-store.js';
export { LevelStore } from './level-store.js';
export { MemoryStore } from './memory-store.js';
export type { DurableState, ReplicaStore, StoredCertificate, StoredCheckpoint } from './types.js';
