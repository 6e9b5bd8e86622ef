/** One sequence number's agreement state inside the watermark window. */
import type { Message, VerifiedMessage } from '../../messages/types.js';
import { hexOf } from '../quorum.js';

/** A pre-prepare with its batch's requests, decoded and verified. */
export type PrePrepare = Message<'pre-prepare'> & { readonly batch: readonly VerifiedMessage<'request'>[] };

/** A vote (prepare or commit) with its digest in hex, computed once. */
interface Vote<K extends 'prepare' | 'commit'> {
  /** The signed vote, kept verbatim for certificates and relaying. */
  readonly msg: Message<K>;
  /** Hex of the digest it votes for. */
  readonly digestHex: string;
}

/** The log entry for one sequence number in the current view. */
export class Slot {
  /** The accepted pre-prepare (the primary's, verbatim, with its verified batch), if any. */
  prePrepare: PrePrepare | undefined;
  /** Hex of the accepted pre-prepare's digest ('' until one is accepted). */
  digestHex = '';
  /**
   * A conflicting pre-prepare from the same primary (it equivocated). If a prepared certificate
   * forms for it, the slot switches to it: 2f + 1 replicas accepted it, so nothing else can prepare.
   */
  alternative: PrePrepare | undefined;
  /** Prepares by sender: one vote per replica id, never per message. */
  readonly prepares = new Map<number, Vote<'prepare'>>();
  /** Commits by sender: one vote per replica id. */
  readonly commits = new Map<number, Vote<'commit'>>();
  /** Pre-prepare plus 2f matching prepares from distinct backups. */
  prepared = false;
  /** Prepared plus a quorum of matching commits. */
  committed = false;
  /** Tick at which this replica last sent its own messages for the slot (retransmission). */
  lastSentTick = 0;

  constructor(
    /** The sequence number. */
    readonly seq: number,
  ) {}

  /** Whether a further vote of `kind` can change nothing: the quorum it counts towards is reached. */
  settled(kind: 'prepare' | 'commit'): boolean {
    return kind === 'prepare' ? this.prepared : this.committed;
  }

  /** Records a prepare; when the sender already voted for another digest, returns that vote. */
  addPrepare(msg: Message<'prepare'>): 'added' | 'duplicate' | Message<'prepare'> {
    return addVote(this.prepares, msg);
  }

  /** Records a commit; when the sender already voted for another digest, returns that vote. */
  addCommit(msg: Message<'commit'>): 'added' | 'duplicate' | Message<'commit'> {
    return addVote(this.commits, msg);
  }

  /** Prepares matching the accepted digest, excluding the primary's (which never prepares). */
  matchingPrepares(primary: number, digestHex = this.digestHex): number {
    let count = 0;
    for (const [sender, vote] of this.prepares)
      if (sender !== primary && vote.digestHex === digestHex) count++;
    return count;
  }

  /** The prepares matching the accepted digest, excluding the primary's: a prepared certificate. */
  matchingPrepareMessages(primary: number): Message<'prepare'>[] {
    const out: Message<'prepare'>[] = [];
    for (const [sender, vote] of this.prepares)
      if (sender !== primary && vote.digestHex === this.digestHex) out.push(vote.msg);
    return out;
  }

  /** Commits matching the accepted digest. */
  matchingCommits(): number {
    let count = 0;
    for (const vote of this.commits.values()) if (vote.digestHex === this.digestHex) count++;
    return count;
  }

  /** The signed votes that match the accepted digest (what a lagging peer needs). */
  certificate(): Message[] {
    const out: Message[] = [];
    for (const v of this.prepares.values()) if (v.digestHex === this.digestHex) out.push(v.msg);
    for (const v of this.commits.values()) if (v.digestHex === this.digestHex) out.push(v.msg);
    return out;
  }
}

function addVote<K extends 'prepare' | 'commit'>(
  votes: Map<number, Vote<K>>,
  msg: Message<K>,
): 'added' | 'duplicate' | Message<K> {
  const digestHex = hexOf(msg.body.digest);
  const earlier = votes.get(msg.sender);
  if (earlier) return earlier.digestHex === digestHex ? 'duplicate' : earlier.msg;
  votes.set(msg.sender, { msg, digestHex });
  return 'added';
}
