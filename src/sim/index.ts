/** The deterministic simulator's public surface: runs, campaigns, options, checkers. */
export { type CampaignResult, type FailingSeed, type OnResult, runCampaign } from './campaign.js';
export {
  AgreementChecker,
  type CheckerConfig,
  CheckerSuite,
  CheckpointChecker,
  type LedgerView,
  MoneyChecker,
  type Report,
} from './checkers.js';
export { type ClientHost, type Completion, SimClient, type Workload } from './client.js';
export { EventQueue } from './event-queue.js';
export {
  type Delivery,
  type Endpoint,
  type LinkFilter,
  type NetworkParams,
  type NetworkStats,
  SimNetwork,
} from './network.js';
export {
  faultsTolerated,
  type ReplicaFactory,
  type ResolvedSimOptions,
  resolveOptions,
  SIM_DEFAULTS,
  SimOptionError,
  type SimOptions,
} from './options.js';
export { RecordingStateMachine } from './recording-state-machine.js';
export { CompletionChecker, ExecutionChecker } from './request-checkers.js';
export type { SimResult } from './result.js';
export { runSimulation } from './run.js';
export { buildWorld, clientAccount, SIM_CRYPTO_SCHEMES, type SimCrypto, type SimWorld } from './setup.js';
