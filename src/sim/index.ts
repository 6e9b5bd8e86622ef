/** The deterministic simulator's public surface: runs, campaigns, options, checkers. */

export { type CampaignResult, type FailingSeed, type OnResult, runCampaign } from './campaign.js';
export { CftCheckerSuite, CftDurabilityChecker, ElectionChecker, entryDigest } from './cft-checkers.js';
export { CftSimClient } from './cft-client.js';
export { CFT_SIM_DEFAULTS, CftHost, cftSimConfig } from './cft-host.js';
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
export { buildClients, ClosedLoopClient } from './closed-loop-client.js';
export { type DriverParts, SimDriver } from './driver.js';
export type { CrashableHost, DriverHost, Step } from './driver-host.js';
export { EventQueue } from './event-queue.js';
export { type PlanSpec, randomFaultPlan } from './fault-plan.js';
export {
  type ActivePartition,
  activePartition,
  type ClientSide,
  type CrashEvent,
  cuts,
  type FaultEvent,
  type HealEvent,
  type IsolateEvent,
  type PartitionEvent,
  Partitions,
  type RestartEvent,
} from './faults.js';
export { type CrashPoint, FaultInjector, type FaultTotals } from './injector.js';
export {
  type Delivery,
  type Endpoint,
  type LinkFilter,
  type NetworkParams,
  type NetworkStats,
  SimNetwork,
} from './network.js';
export {
  type CftReplicaFactory,
  faultsTolerated,
  type OutputTap,
  type ReplicaFactory,
  type ResolvedSimOptions,
  resolveOptions,
  SIM_DEFAULTS,
  SIM_PROTOCOLS,
  SimOptionError,
  type SimOptions,
  type SimProtocol,
} from './options.js';
export { RecordingStateMachine } from './recording-state-machine.js';
export { type HostStatus, type HostStep, ReplicaHost } from './replica-host.js';
export { CompletionChecker, ExecutionChecker } from './request-checkers.js';
export { DurabilityChecker, EquivocationChecker } from './restart-checkers.js';
export type { BadPeerEvent, ReplicaSummary, SimResult } from './result.js';
export { runSimulation } from './run.js';
export { buildWorld, clientAccount, SIM_CRYPTO_SCHEMES, type SimCrypto, type SimWorld } from './setup.js';
export * from './twins.js';
