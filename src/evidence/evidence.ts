/**
 * Portable proofs of misbehaviour, two kinds of JSON file:
 * - equivocation: two validly signed, conflicting messages of one replica for one slot (two
 *   pre-prepares, prepares or commits for the same view and sequence number with different digests,
 *   or two checkpoints for one sequence number with different state digests), re-verified with that
 *   replica's public key alone;
 * - forged-certificate (`forged-certificate.ts`): one validly signed VIEW-CHANGE or NEW-VIEW whose
 *   certificate is forged, re-verified with every replica's public key and f.
 * Anyone can re-verify a file (`bftledger evidence verify FILE`) with the replicas' pinned Ed25519
 * verifier. The keys are the file's claim: `checkAgainstCluster` compares them with cluster.json.
 */
import { Ed25519Verifier, fromHex, KeyError, toHex } from '../crypto/index.js';
import { decode } from '../messages/codec.js';
import { bodyCodec, kindOfTag, signingBytes } from '../messages/envelope.js';
import { ENVELOPE, type Kind } from '../messages/schema.js';
import type { Message } from '../messages/types.js';
import { type ForgedVerdict, verifyForgedFile } from './forged-certificate.js';

/** The equivocation evidence file format (JSON). */
export interface EvidenceFile {
  /** Always 'bftledger-evidence'. */
  readonly type: 'bftledger-evidence';
  /** Format version. */
  readonly version: 1;
  /** Cluster id, hex. */
  readonly cluster: string;
  /** The misbehaving replica's id. */
  readonly replica: number;
  /** Its Ed25519 public key, hex: the signatures verify under it. */
  readonly publicKey: string;
  /** Kind of the two messages (never 'forged-certificate', which names the other file kind). */
  readonly kind: string;
  /** The slot: view (0 for checkpoints) and sequence number. */
  readonly view: number;
  readonly seq: number;
  /** The two signed envelopes, verbatim, hex. */
  readonly messages: readonly [string, string];
}

/** Kinds for which two different signed messages of one sender for one slot prove equivocation. */
const SLOT_KINDS: ReadonlySet<Kind> = new Set<Kind>(['pre-prepare', 'prepare', 'commit', 'checkpoint']);

/** The slot a message occupies and the content that must not differ within it. */
function slotOf(kind: Kind, body: unknown): { view: number; seq: number; content: string } | undefined {
  const b = body as { view?: number; seq?: number; digest?: Uint8Array; stateDigest?: Uint8Array };
  if (!SLOT_KINDS.has(kind) || b.seq === undefined) return undefined;
  const d = kind === 'checkpoint' ? b.stateDigest : b.digest;
  return d ? { view: b.view ?? 0, seq: b.seq, content: toHex(d) } : undefined;
}

/** Builds the evidence file for two conflicting messages of `replica`. */
export function evidenceFile(
  cluster: Uint8Array,
  publicKey: Uint8Array,
  first: Message,
  second: Message,
): EvidenceFile {
  const slot = slotOf(first.kind, first.body);
  return {
    type: 'bftledger-evidence',
    version: 1,
    cluster: toHex(cluster),
    replica: first.sender,
    publicKey: toHex(publicKey),
    kind: first.kind,
    view: slot?.view ?? 0,
    seq: slot?.seq ?? 0,
    messages: [toHex(first.bytes), toHex(second.bytes)],
  };
}

/** What verifying a file concluded. */
export type EvidenceVerdict =
  | {
      readonly valid: true;
      readonly replica: number;
      readonly kind: string;
      readonly view: number;
      readonly seq: number;
    }
  | ForgedVerdict
  | { readonly valid: false; readonly reason: string };

/** Re-verifies an evidence file (parsed JSON of unknown shape). Never throws. */
export function verifyEvidence(file: unknown): EvidenceVerdict {
  try {
    return verifyUnguarded(file);
  } catch (err) {
    return { valid: false, reason: err instanceof KeyError ? `bad key: ${err.message}` : String(err) };
  }
}

function verifyUnguarded(file: unknown): EvidenceVerdict {
  const f = file as Partial<EvidenceFile>;
  if (f?.type !== 'bftledger-evidence' || f.version !== 1)
    return { valid: false, reason: 'not a bftledger evidence file' };
  if (f.kind === 'forged-certificate') return verifyForgedFile(file as Record<string, unknown>);
  if (!Array.isArray(f.messages) || f.messages.length !== 2)
    return { valid: false, reason: 'needs two messages' };
  const verifier = Ed25519Verifier.fromPublicKey(fromHex(String(f.publicKey)));
  const cluster = fromHex(String(f.cluster));
  const opened = f.messages.map((hex) => openSigned(fromHex(String(hex)), cluster, verifier));
  const [a, b] = opened;
  if (!a || !b) return { valid: false, reason: 'a message does not decode or its signature does not verify' };
  if (a.sender !== b.sender || a.sender !== f.replica)
    return { valid: false, reason: 'messages of different senders' };
  if (a.kind !== b.kind) return { valid: false, reason: 'messages of different kinds' };
  const sa = slotOf(a.kind, a.body);
  const sb = slotOf(b.kind, b.body);
  if (!sa || !sb) return { valid: false, reason: `${a.kind} is not a slot message` };
  if (sa.view !== sb.view || sa.seq !== sb.seq)
    return { valid: false, reason: 'messages for different slots' };
  if (sa.content === sb.content) return { valid: false, reason: 'the messages do not conflict' };
  return { valid: true, replica: a.sender, kind: a.kind, view: sa.view, seq: sa.seq };
}

/** Decodes an envelope of `cluster` and checks its signature; undefined when either fails. */
function openSigned(bytes: Uint8Array, cluster: Uint8Array, verifier: Ed25519Verifier) {
  const env = decode(ENVELOPE, bytes);
  if (!env.ok) return undefined;
  const kind = kindOfTag(env.value.kind);
  if (kind === undefined || toHex(env.value.cluster) !== toHex(cluster)) return undefined;
  const body = decode(bodyCodec(kind), env.value.body);
  if (!body.ok) return undefined;
  const data = signingBytes(kind, env.value.cluster, env.value.sender, env.value.body);
  if (!verifier.verify(data, env.value.signature)) return undefined;
  return { kind, sender: env.value.sender, body: body.value };
}

/** What a file's keys are compared with: a cluster's id, f and replica keys by id. */
export interface ClusterKeys {
  /** The cluster id. */
  readonly clusterId: Uint8Array;
  /** Faults tolerated. */
  readonly f: number;
  /** Each replica's public key, by id. */
  readonly publicKeys: readonly Uint8Array[];
}

/**
 * Why a verified file's keys are not the cluster's (cluster id, the accused's key; for a forged
 * certificate every replica's key and f), or undefined when they are.
 */
export function checkAgainstCluster(file: unknown, replica: number, ref: ClusterKeys): string | undefined {
  const f = file as { cluster?: unknown; publicKey?: unknown; publicKeys?: unknown; f?: unknown };
  if (f.cluster !== toHex(ref.clusterId)) return "the cluster id is not the cluster's";
  if (f.publicKeys === undefined) {
    const key = ref.publicKeys[replica];
    return key !== undefined && f.publicKey === toHex(key)
      ? undefined
      : `the key is not replica ${replica}'s`;
  }
  const keys = f.publicKeys as unknown[];
  if (keys.length !== ref.publicKeys.length)
    return `${keys.length} keys, the cluster has ${ref.publicKeys.length}`;
  const i = ref.publicKeys.findIndex((k, id) => keys[id] !== toHex(k));
  if (i >= 0) return `the key of replica ${i} is not the cluster's`;
  return f.f === ref.f ? undefined : `f ${String(f.f)}, the cluster's is ${ref.f}`;
}
