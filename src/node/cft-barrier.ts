/**
 * Which crash-fault persist records must be durable before the sends queued after them leave
 * (output-pipeline.ts holds those sends back). A record is a barrier when it protects a promise:
 * - a hard state whose term or vote changed: a vote must never be granted twice in one term, even
 *   across a crash (Raft's persistent currentTerm and votedFor);
 * - appended entries and a truncation: an append-ack says the entries are held, and a leader's
 *   append-entries go out only once its own copy is, so a majority that acknowledged really holds
 *   them;
 * - an installed snapshot: its acknowledgement says the follower holds the log up to it.
 * The other records only speed up a restart, so their groups do not hold sends back: a hard state
 * that only moved the commit index (a restart learns it again from the leader) and a snapshot this
 * replica took itself (its log still holds what the snapshot covers until the same atomic group
 * compacts it). So a leader's reply to a client leaves without waiting for a sync of its own.
 */
import type { CftPersistRecord } from '../core/cft/types.js';

/** The barrier rule of a replica whose durable term and vote start at `term` and `votedFor`. */
export function cftBarrier(start: {
  readonly term: number;
  readonly votedFor: number | undefined;
}): (record: CftPersistRecord) => boolean {
  let { term, votedFor } = start;
  return (record) => {
    switch (record.type) {
      case 'hard-state': {
        const promise = record.term !== term || record.votedFor !== votedFor;
        term = record.term;
        votedFor = record.votedFor;
        return promise;
      }
      case 'append':
      case 'truncate':
        return true;
      case 'snapshot':
        return record.how === 'installed';
    }
  };
}
