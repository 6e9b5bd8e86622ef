/**
 * Shared fixtures of the forged-certificate evidence tests: a 4-replica cluster with Ed25519 keys,
 * an honest VIEW-CHANGE (replica 3, to view 2) and NEW-VIEW (replica 2), and helpers that forge them.
 */
import assert from 'node:assert/strict';
import { forgedCertificateFile } from '../../src/evidence/forged-certificate.js';
import { type Judgement, judgeForged } from '../../src/evidence/forgery.js';
import { type BodyOf, batchDigest, seal } from '../../src/messages/index.js';
import {
  CLUSTER,
  ed25519Keys,
  F,
  N,
  newViewBody,
  prePrepareBytes,
  requestBytes,
  viewChangeBody,
} from './messages-fixtures.js';

/** The cluster's Ed25519 keys (deterministic). */
export const keys = ed25519Keys();
/** Every replica's public key, by id: what a file carries. */
export const PUBLIC_KEYS = Array.from({ length: N }, (_, i) => keys.replica(i).publicKey);
/** What a judgement uses: the cluster id and the principals. */
export const KEYS = { cluster: CLUSTER, principals: keys.principals };

/** The accused of the view-change rows: a backup voting for view 2. */
export const ACCUSED = 3;
/** The view voted for, and installed by the new-views. */
export const NEW_VIEW = 2;
/** View 2's primary: the accused of the new-view rows. */
export const PRIMARY = 2;
/** The request batched in the certificate at seq 5, prepared in view 1 (primary 1, backups 0 and 2). */
export const REQ = requestBytes(keys, 100, 1);
/** 32 bytes of `b`. */
export const digest = (b: number) => new Uint8Array(32).fill(b);
/** A view-change body. */
export type Body = BodyOf['view-change'];
/** One prepared certificate of a view-change body. */
export type Cert = Body['prepared'][number];

/** An honest view-change: stable checkpoint 4 with a quorum proof, one certificate at seq 5. */
export function honestVc(): Body {
  return viewChangeBody(keys, {
    newView: NEW_VIEW,
    stableSeq: 4,
    certificates: [{ view: 1, seq: 5, requests: [REQ] }],
  });
}

/** The honest view-change's certificate with some fields replaced. */
export function withCert(change: (c: Cert) => Partial<Cert>): Body {
  const b = honestVc();
  return { ...b, prepared: [{ ...b.prepared[0]!, ...change(b.prepared[0]!) }] };
}

/** A view-change body signed by `sender` with its own key. */
export function vcBytes(body: Body, sender = ACCUSED): Uint8Array {
  return seal(keys.replica(sender), CLUSTER, 'view-change', sender, body).bytes;
}

/** A prepare of the seq 5 certificate, from `sender`, signed with `signer`'s key. */
export function prepare5(sender: number, signer = sender, d = batchDigest([REQ]), view = 1): Uint8Array {
  return seal(keys.replica(signer), CLUSTER, 'prepare', sender, { view, seq: 5, digest: d }).bytes;
}

/** A judgement that must accuse. */
export function accused(bytes: Uint8Array): Extract<Judgement, { forged: true }> {
  const j = judgeForged(bytes, KEYS);
  assert.ok(j.forged, `expected a forged certificate, got: ${j.forged ? '' : j.reason}`);
  return j;
}

/** The file for a forged message, as written to disk and read back. */
export function fileFor(bytes: Uint8Array): Record<string, unknown> {
  return JSON.parse(JSON.stringify(forgedCertificateFile(CLUSTER, F, PUBLIC_KEYS, accused(bytes))));
}

/** The seq 5 pre-prepare's body. */
export function ppBody(): BodyOf['pre-prepare'] {
  return { view: 1, seq: 5, digest: batchDigest([REQ]), requests: [REQ] };
}

/** A new-view for view 2 from replicas 0, 1, 3; 3 prepared seq 5; `prePrepares` as given. */
export function nvBytes(
  prePrepares: readonly { seq: number; requests?: Uint8Array[] }[],
  senders: readonly number[] = [0, 1, ACCUSED],
): Uint8Array {
  const vcs = senders.map((sender) => ({
    sender,
    spec: {
      stableSeq: 4,
      certificates: sender === ACCUSED ? [{ view: 1, seq: 5, requests: [REQ] }] : [],
    },
  }));
  return seal(
    keys.replica(PRIMARY),
    CLUSTER,
    'new-view',
    PRIMARY,
    newViewBody(keys, NEW_VIEW, vcs, prePrepares),
  ).bytes;
}

/** A new-view body with its view-changes replaced. */
export function nvWithViewChanges(viewChanges: Uint8Array[]): Uint8Array {
  const body = { view: NEW_VIEW, viewChanges, prePrepares: [prePrepareBytes(keys, NEW_VIEW, 5, [REQ])] };
  return seal(keys.replica(PRIMARY), CLUSTER, 'new-view', PRIMARY, body).bytes;
}

/** Another client's request: a batch no view-change implies. */
export const OTHER_REQ = requestBytes(keys, 101, 1);
/** Honest view-changes of replicas 0 and 1 to view 2, nothing prepared. */
export const honestViewChanges = () => [0, 1].map((r) => vcBytes({ ...honestVc(), prepared: [] }, r));
