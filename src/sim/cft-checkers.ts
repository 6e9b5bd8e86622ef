/**
 * Checkers for the crash-fault protocol, on top of the protocol-neutral ones (agreement per index,
 * digests, money, exactly-once, order, completion, liveness): at most one leader per term, one vote
 * per replica per term across crashes, and nothing sent before it is durable (a granted vote's
 * hard state, an acknowledged log entry). Like the others they read only the cores' outputs, and
 * their memory outlives crashes: it is what the replica promised, not what it remembers.
 */
import type { CftOutput, CftPersistRecord } from '../core/cft/types.js';
import { sha256 } from '../crypto/hash.js';
import { batchDigest } from '../messages/batch.js';
import type { AnyCftMessage, CftMessage } from '../messages/cft-types.js';
import type { Message } from '../messages/types.js';
import { type CheckerConfig, CheckerSuite, type Report } from './checkers.js';

/** One digest per log entry: SHA-256(term as u64 BE || batch digest of its requests). */
export function entryDigest(term: number, requests: readonly Message<'request'>[]): Uint8Array {
  const buf = new Uint8Array(40);
  const view = new DataView(buf.buffer);
  view.setUint32(0, Math.floor(term / 2 ** 32));
  view.setUint32(4, term >>> 0);
  buf.set(batchDigest(requests.map((r) => r.bytes)), 8);
  return sha256(buf);
}

/** Election safety: at most one leader per term, whoever reports it. */
export class ElectionChecker {
  /** Per term: the leader first reported, and by whom. */
  readonly leaders = new Map<number, { readonly leader: number; readonly replica: number }>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** `replica` learned (or won) that `leader` leads `term`. */
  elected(replica: number, term: number, leader: number): void {
    if (!this.config.isCorrect(replica)) return;
    const first = this.leaders.get(term);
    if (first === undefined) this.leaders.set(term, { leader, replica });
    else if (first.leader !== leader) {
      this.report(
        'election',
        `replica ${replica} term ${term}: leader ${leader}, but replica ${first.replica} reported leader ${first.leader}`,
      );
    }
  }
}

/** What one replica made durable, as its persist records say. */
interface Durable {
  /** Persisted term. */
  term: number;
  /** Persisted vote in that term. */
  votedFor: number | undefined;
  /** Persisted snapshot index. */
  snapshotIndex: number;
  /** Persisted log entries: index -> term. */
  readonly log: Map<number, number>;
}

/** One vote per term across crashes, and persist before send for votes and acknowledgements. */
export class CftDurabilityChecker {
  /** Per replica: its durable state. */
  private readonly durable = new Map<number, Durable>();
  /** Per replica: term -> the candidate it granted its vote to. */
  private readonly granted = new Map<number, Map<number, number>>();

  constructor(
    /** The cluster and who is correct. */
    private readonly config: CheckerConfig,
    /** Where violations go. */
    private readonly report: Report,
  ) {}

  /** The durable state of `replica`. */
  private of(replica: number): Durable {
    let d = this.durable.get(replica);
    if (d === undefined) {
      d = { term: 0, votedFor: undefined, snapshotIndex: 0, log: new Map() };
      this.durable.set(replica, d);
    }
    return d;
  }

  /** A persist record of `replica` (already durable when its step's messages leave). */
  persisted(replica: number, r: CftPersistRecord): void {
    const d = this.of(replica);
    switch (r.type) {
      case 'hard-state':
        d.term = r.term;
        d.votedFor = r.votedFor;
        return;
      case 'append':
        for (const e of r.entries) d.log.set(e.index, e.term);
        return;
      case 'truncate':
        for (const i of [...d.log.keys()]) if (i >= r.from) d.log.delete(i);
        return;
      case 'snapshot':
        d.snapshotIndex = r.snapshot.index;
        for (const i of [...d.log.keys()]) if (i <= r.snapshot.index) d.log.delete(i);
        return;
    }
  }

  /** `replica` sent `msg` to `to`. */
  sent(replica: number, message: CftMessage, to: number): void {
    if (!this.config.isCorrect(replica)) return;
    const msg = message as AnyCftMessage;
    if (msg.kind === 'vote' && msg.body.granted) this.vote(replica, msg.body.term, to);
    if (msg.kind === 'append-ack' && msg.body.success) {
      const d = this.of(replica);
      const i = msg.body.index;
      if (i > d.snapshotIndex && !d.log.has(i)) {
        this.report(
          'persist-before-send',
          `replica ${replica}: acknowledged entry ${i} it has not persisted`,
        );
      }
    }
  }

  /** A granted vote: the first in its term for this candidate, and durable. */
  private vote(replica: number, term: number, candidate: number): void {
    let mine = this.granted.get(replica);
    if (mine === undefined) {
      mine = new Map();
      this.granted.set(replica, mine);
    }
    const earlier = mine.get(term);
    if (earlier !== undefined && earlier !== candidate) {
      this.report(
        'vote',
        `replica ${replica} term ${term}: voted for ${candidate} after voting for ${earlier}`,
      );
    }
    mine.set(term, candidate);
    const d = this.of(replica);
    if (d.term !== term || d.votedFor !== candidate) {
      this.report(
        'persist-before-send',
        `replica ${replica} term ${term}: sent its vote for ${candidate} before persisting it`,
      );
    }
  }
}

/** The checkers of a crash-fault run. */
export class CftCheckerSuite extends CheckerSuite {
  /** At most one leader per term. */
  readonly elections: ElectionChecker;
  /** One vote per term; durable before sent. */
  readonly persistence: CftDurabilityChecker;

  constructor(config: CheckerConfig) {
    super(config);
    const report: Report = (checker, text) => {
      this.violations.push(`${checker}: ${text}`);
    };
    this.elections = new ElectionChecker(config, report);
    this.persistence = new CftDurabilityChecker(config, report);
  }

  /** One output of a crash-fault replica's step (`to` for a send: its destination; -1 for all). */
  cftOutput(replica: number, out: CftOutput): void {
    switch (out.type) {
      case 'executed':
        this.agreement.executed(replica, out.index, entryDigest(out.term, out.requests));
        this.execution.executed(replica, { seq: out.index, requests: out.requests, applied: out.applied });
        return;
      case 'persist':
        this.persistence.persisted(replica, out.record);
        if (out.record.type === 'snapshot' && out.record.how === 'taken') {
          const { index, stateDigest } = out.record.snapshot;
          this.checkpoints.stable(replica, index, stateDigest);
        }
        return;
      case 'snapshot-installed':
        this.execution.transferred(replica, out.index);
        this.checkpoints.transferred(replica, out.index, out.stateDigest);
        return;
      case 'reply': {
        const { client, timestamp, index: seq, result } = out.msg.body;
        this.completion.reply(replica, { client, timestamp, seq, result });
        return;
      }
      case 'leader-elected':
        this.elections.elected(replica, out.term, out.leader);
        return;
      case 'send':
        this.persistence.sent(replica, out.msg, out.to);
        return;
      default:
        return;
    }
  }
}
