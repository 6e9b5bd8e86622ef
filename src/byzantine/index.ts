/** Byzantine behaviours: composable rewrites of an honest core's outputs, and the replica that runs them. */
export {
  BadViewChange,
  type BadViewChangeOptions,
  NEW_VIEW_FORGERIES,
  type NewViewForgery,
  VIEW_CHANGE_FORGERIES,
  type ViewChangeForgery,
} from './bad-view-change.js';
export { Censor, type CensorOptions } from './censor.js';
export { Equivocate, type EquivocateOptions } from './equivocate.js';
export { type ByzantinePlan, byzantineFactory, type CoreFactory, parsePlan } from './factory.js';
export { FLOOD_KINDS, Flood, type FloodKind, type FloodOptions } from './flood.js';
export { LyingStateTransfer, type LyingStateTransferOptions } from './lying-state-transfer.js';
export { MUTATIONS, Mutate, type MutateOptions, type MutationName } from './mutate.js';
export {
  BEHAVIOURS,
  type BehaviourEntry,
  BehaviourError,
  type BehaviourErrorCode,
  type BehaviourSpec,
  describeBehaviours,
  isBehaviourName,
  makeBehaviour,
  type OptionSpec,
  type OptionValue,
  type ParsedOptions,
  parseBehaviourSpecs,
  parseBehaviours,
} from './registry.js';
export { Replay, type ReplayOptions } from './replay.js';
export {
  ByzantineReplica,
  type ByzantineReplicaOptions,
  MessageHistory,
  type ReplicaDeps,
} from './replica.js';
export { SelectiveSilent, type SelectiveSilentOptions, Silent } from './silent.js';
export { SlowPrimary, type SlowPrimaryOptions } from './slow-primary.js';
export {
  BEHAVIOUR_NAMES,
  type Behaviour,
  type BehaviourContext,
  type BehaviourName,
  type MessageOutput,
  type SentHistory,
} from './types.js';
