/**
 * Safety checkers, fed by the simulator after every step. Each holds the replicas it is told are
 * correct to the protocol's promises and reports a violation as one string that names the checker,
 * the replica and the sequence number. They read only the core's outputs and the ledgers, never
 * the core's internals, so a faulty core cannot hide from them.
 *
 * The per-request checkers (validity, exactly-once, completion) are in `request-checkers.ts`, the
 * crash-and-restart ones (no equivocation, durability) in `restart-checkers.ts`.
 */

import type { Output } from '../core/pbft/types.js';
import { toHex } from '../crypto/hex.js';
import type { Completion } from './client.js';
import { CompletionChecker, ExecutionChecker } from './request-checkers.js';
import { DurabilityChecker, EquivocationChecker } from './restart-checkers.js';

/** What every checker needs to know about the cluster. */
export interface CheckerConfig {
  /** Number of replicas. */
  readonly n: number;
  /** Faults tolerated. */
  readonly f: number;
  /** K: checkpoint digests are compared at multiples of K. */
  readonly checkpointInterval: number;
  /** Sum of the genesis balances. */
  readonly genesisTotal: bigint;
  /** The accounts whose balances must never go negative. */
  readonly accounts: readonly string[];
  /** Whether replica `id` is held to the rules (crashed-and-recovered and honest ones are). */
  isCorrect(id: number): boolean;
}

/** Where checkers report: checker name and the violation's text. */
export type Report = (checker: string, text: string) => void;

/** The ledger reads the money checker needs. */
export interface LedgerView {
  /** Sum of all balances. */
  totalSupply(): bigint;
  /** Total minted since genesis. */
  minted(): bigint;
  /** Balance of an account, undefined when it does not exist. */
  balance(account: string): bigint | undefined;
}

/** Short hex of a digest for messages. */
export function shortHex(bytes: Uint8Array): string {
  return toHex(bytes).slice(0, 16);
}

/** Agreement: no two correct replicas execute different batches at one sequence number. */
export class AgreementChecker {
  /** Batch digest (hex) executed at each seq, with the first correct replica that executed it. */
  readonly digests = new Map<number, { readonly hex: string; readonly replica: number }>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** A replica executed the batch `digest` at `seq`. */
  executed(replica: number, seq: number, digest: Uint8Array): void {
    if (!this.config.isCorrect(replica)) return;
    const hex = toHex(digest);
    const first = this.digests.get(seq);
    if (first === undefined) {
      this.digests.set(seq, { hex, replica });
    } else if (first.hex !== hex) {
      this.report(
        'agreement',
        `replica ${replica} seq ${seq}: executed batch ${hex.slice(0, 16)}, replica ${first.replica} executed ${first.hex.slice(0, 16)}`,
      );
    }
  }
}

/** Equal state digests at checkpoints: recorded ledger digests, stable and transferred ones agree. */
export class CheckpointChecker {
  /** Ledger digest (hex) after each checkpoint seq, with where it was first seen. */
  readonly digests = new Map<number, { readonly hex: string; readonly source: string }>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** A replica's ledger digest right after executing `seq` (a multiple of K). */
  recorded(replica: number, seq: number, digest: Uint8Array): void {
    this.compare(replica, seq, digest, 'ledger digest');
  }

  /** A replica's checkpoint at `seq` became stable with `digest`. */
  stable(replica: number, seq: number, digest: Uint8Array): void {
    this.compare(replica, seq, digest, 'stable checkpoint');
  }

  /** A replica installed a snapshot for `seq` with `digest`. */
  transferred(replica: number, seq: number, digest: Uint8Array): void {
    this.compare(replica, seq, digest, 'state transfer');
  }

  /** Compares one observation against the table, or fills the table. */
  private compare(replica: number, seq: number, digest: Uint8Array, what: string): void {
    if (!this.config.isCorrect(replica)) return;
    if (seq % this.config.checkpointInterval !== 0) {
      this.report(
        'checkpoint',
        `replica ${replica} seq ${seq}: ${what} at a seq that is not a multiple of K`,
      );
    }
    const hex = toHex(digest);
    const source = `${what} of replica ${replica}`;
    const first = this.digests.get(seq);
    if (first === undefined) {
      this.digests.set(seq, { hex, source });
    } else if (first.hex !== hex) {
      this.report(
        'checkpoint',
        `replica ${replica} seq ${seq}: ${what} ${hex.slice(0, 16)} differs from ${first.source} ${first.hex.slice(0, 16)}`,
      );
    }
  }
}

/** Money conserved: total supply equals genesis plus minted, and no balance is negative. */
export class MoneyChecker {
  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** Checks one replica's ledger (after a step that changed it); `seq` is its last executed seq. */
  check(replica: number, seq: number, ledger: LedgerView): void {
    if (!this.config.isCorrect(replica)) return;
    const supply = ledger.totalSupply();
    const expected = this.config.genesisTotal + ledger.minted();
    if (supply !== expected) {
      this.report(
        'money',
        `replica ${replica} seq ${seq}: total supply ${supply} != genesis + minted ${expected}`,
      );
    }
    for (const account of this.config.accounts) {
      const balance = ledger.balance(account);
      if (balance === undefined)
        this.report('money', `replica ${replica} seq ${seq}: account ${account} vanished`);
      else if (balance < 0n)
        this.report('money', `replica ${replica} seq ${seq}: ${account} balance ${balance} < 0`);
    }
  }
}

/** Every checker, fed from one place; collects the violations in order. */
export class CheckerSuite {
  /** Violations so far, in the order found. */
  readonly violations: string[] = [];
  /** Agreement on batches per seq. */
  readonly agreement: AgreementChecker;
  /** Validity, exactly-once and in-order execution. */
  readonly execution: ExecutionChecker;
  /** Checkpoint digests. */
  readonly checkpoints: CheckpointChecker;
  /** Money conservation. */
  readonly money: MoneyChecker;
  /** Client completions against what replicas did. */
  readonly completion: CompletionChecker;
  /** What each replica signs never conflicts with what it signed before, across restarts. */
  readonly equivocation: EquivocationChecker;
  /** Restarted replicas lose nothing they executed. */
  readonly durability: DurabilityChecker;

  constructor(
    /** The cluster and who is correct. */
    readonly config: CheckerConfig,
  ) {
    const report: Report = (checker, text) => {
      this.violations.push(`${checker}: ${text}`);
    };
    this.agreement = new AgreementChecker(config, report);
    this.execution = new ExecutionChecker(config, report);
    this.checkpoints = new CheckpointChecker(config, report);
    this.money = new MoneyChecker(config, report);
    this.completion = new CompletionChecker(config, report, this.execution);
    this.equivocation = new EquivocationChecker(config, report);
    this.durability = new DurabilityChecker(config, report);
  }

  /** A client signed and sent a new request. */
  issued(client: number, timestamp: number): void {
    this.execution.issued(client, timestamp);
  }

  /** One output of a replica's step. */
  output(replica: number, out: Output): void {
    switch (out.type) {
      case 'executed':
        this.agreement.executed(replica, out.seq, out.digest);
        this.execution.executed(replica, out);
        return;
      case 'stable':
        this.checkpoints.stable(replica, out.seq, out.stateDigest);
        return;
      case 'state-transferred':
        this.execution.transferred(replica, out.seq);
        this.checkpoints.transferred(replica, out.seq, out.stateDigest);
        return;
      case 'reply':
        this.completion.reply(replica, out.msg.body);
        return;
      case 'persist':
        if (out.record.type === 'signed') this.equivocation.persisted(replica, out.record.msg);
        return;
      case 'send':
      case 'broadcast':
        this.equivocation.sent(replica, out.msg);
        return;
      default:
        return;
    }
  }

  /** A replica crashed (a fault, not a bug) having executed up to `seq`. */
  replicaCrashed(replica: number, seq: number): void {
    this.durability.crashed(replica, seq);
  }

  /** A replica restarted from its store alone and resumes at `seq`. */
  replicaRestarted(replica: number, seq: number): void {
    this.durability.restarted(replica, seq);
    this.execution.restarted(replica, seq);
  }

  /** A request was still pending at its liveness deadline. */
  overdue(client: number, timestamp: number, issuedAt: number, deadline: number, boundMs: number): void {
    this.violations.push(
      `liveness: client ${client} timestamp ${timestamp} (issued at ${Math.round(issuedAt)} ms) not completed ` +
        `by ${Math.round(deadline)} ms, ${boundMs} ms after the fault phase ended or it was issued`,
    );
  }

  /** A replica's ledger digest right after it executed checkpoint seq `seq`. */
  boundaryDigest(replica: number, seq: number, digest: Uint8Array): void {
    this.checkpoints.recorded(replica, seq, digest);
  }

  /** A replica's ledger after a step that changed it. */
  ledger(replica: number, seq: number, ledger: LedgerView): void {
    this.money.check(replica, seq, ledger);
  }

  /** A replica's `assertInvariants()` threw after a step. */
  invariant(replica: number, seq: number, error: unknown): void {
    if (!this.config.isCorrect(replica)) return;
    const text = error instanceof Error ? error.message : String(error);
    this.violations.push(`invariant: replica ${replica} seq ${seq}: ${text}`);
  }

  /** A replica's step (or its recovery) threw: a bug, since peer faults are never exceptions. */
  threw(replica: number, seq: number, error: unknown): void {
    const text = error instanceof Error ? error.message : String(error);
    this.violations.push(`exception: replica ${replica} seq ${seq}: step threw: ${text}`);
  }

  /** A client accepted a result. */
  completed(completion: Completion): void {
    this.completion.completed(completion);
  }

  /** End of the run: `open` lists each client's unfinished work (liveness). */
  finish(
    open: readonly { client: number; done: number; total: number; pending: number | undefined }[],
    atMs: number,
  ): void {
    this.completion.finish();
    for (const o of open) {
      const pending = o.pending === undefined ? '' : ` (timestamp ${o.pending} outstanding)`;
      this.violations.push(
        `liveness: client ${o.client} completed ${o.done}/${o.total} requests by ${atMs} ms${pending}`,
      );
    }
  }
}
