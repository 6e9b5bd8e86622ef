/** The ledger module: the deterministic state machine, its operations, results, digest and snapshots. */
export { AMOUNT, MAX_AMOUNT } from './amount.js';
export type { HashFn } from './bytes.js';
export { LedgerError, type LedgerErrorCode } from './errors.js';
export { type Genesis, type GenesisAccount, KEY_BYTES, MAX_ACCOUNTS } from './genesis.js';
export { type AccountProof, type CachedReply, Ledger, verifyAccountProof } from './ledger.js';
export { type MerkleProof, verifyProof } from './merkle.js';
export { ACCOUNT_NAME, MAX_NAME_BYTES } from './names.js';
export {
  decodeOp,
  decodeResult,
  encodeBalance,
  encodeMint,
  encodeNull,
  encodeResult,
  encodeTransfer,
  type LedgerResult,
  MAX_NULL_PAYLOAD_BYTES,
  OP,
  type Op,
  RESULT,
  RESULT_CODE_NAMES,
  ResultCode,
} from './ops.js';
export { accountLeaf } from './state.js';
