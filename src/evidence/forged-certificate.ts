/**
 * The forged-certificate evidence file: one validly signed VIEW-CHANGE or NEW-VIEW whose certificate
 * is forged (see `forgery.ts`), with what re-verifying it needs: the cluster id, f and every
 * replica's public key. Verification judges the message again from the file alone and rebuilds the
 * whole file from that judgement; any field that differs (the accused, the view, the failed check,
 * the explanation) fails it, so a file cannot be edited into a different accusation.
 */
import { Ed25519Verifier, fromHex, toHex } from '../crypto/index.js';
import type { Verifier } from '../crypto/types.js';
import { type CertificateKind, type ForgedCertificate, type ForgedRule, judgeForged } from './forgery.js';

/** The forged-certificate evidence file format (JSON). */
export interface ForgedCertificateFile {
  /** Always 'bftledger-evidence'. */
  readonly type: 'bftledger-evidence';
  /** Format version. */
  readonly version: 1;
  /** This file kind. */
  readonly kind: 'forged-certificate';
  /** Cluster id, hex: the outer signature covers it. */
  readonly cluster: string;
  /** Faults tolerated: quorums and certificate sizes follow from it and n. */
  readonly f: number;
  /** The accused: the signer of `message`. */
  readonly replica: number;
  /** Every replica's Ed25519 public key by id, hex (n = their number). */
  readonly publicKeys: readonly string[];
  /** Kind of the offending message. */
  readonly messageKind: CertificateKind;
  /** The view it is for. */
  readonly view: number;
  /** Which rule it breaks. */
  readonly rule: ForgedRule;
  /** The failed check, with the path to the failing entry. */
  readonly check: string;
  /** Why this proves misbehaviour, in words. */
  readonly explanation: string;
  /** The offending envelope, verbatim, hex. */
  readonly message: string;
}

/** What verifying a forged-certificate file concluded, when it holds. */
export interface ForgedVerdict {
  /** The file proves misbehaviour. */
  readonly valid: true;
  /** The accused replica. */
  readonly replica: number;
  /** Always 'forged-certificate'. */
  readonly kind: 'forged-certificate';
  /** Kind of the offending message. */
  readonly message: CertificateKind;
  /** The view it is for. */
  readonly view: number;
  /** Which rule it breaks. */
  readonly rule: ForgedRule;
  /** The failed check. */
  readonly check: string;
}

/** The words for each rule. */
const RULE_WORDS: { readonly [R in ForgedRule]: string } = {
  certificate: 'a certificate it carries breaks a rule',
  signature: "an envelope nested in it does not verify under its signer's key",
  recomputation: 'its pre-prepares are not the ones its view-changes imply',
};

/** The explanation a file carries. */
function explain(p: ForgedCertificate): string {
  return (
    `Replica ${p.replica} signed this ${p.message} for view ${p.view}, and ${RULE_WORDS[p.rule]} ` +
    `(${p.check}). The check needs only the message, n, f and the replicas' keys, no receiver's ` +
    'state; a correct replica never signs such a message.'
  );
}

/** Builds the file for a forged certificate judged with `publicKeys` (by replica id) and `f`. */
export function forgedCertificateFile(
  cluster: Uint8Array,
  f: number,
  publicKeys: readonly Uint8Array[],
  p: ForgedCertificate,
): ForgedCertificateFile {
  return {
    type: 'bftledger-evidence',
    version: 1,
    kind: 'forged-certificate',
    cluster: toHex(cluster),
    f,
    replica: p.replica,
    publicKeys: publicKeys.map(toHex),
    messageKind: p.message,
    view: p.view,
    rule: p.rule,
    check: p.check,
    explanation: explain(p),
    message: toHex(p.bytes),
  };
}

/** Most replicas a file may name (bounds the work a hostile file can ask for). */
const MAX_REPLICAS = 1024;

/** The first field of `a` and `b` (JSON values) that differs, or undefined when none does. */
function firstDifference(a: Record<string, unknown>, b: object): string | undefined {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  const bb = b as Record<string, unknown>;
  for (const k of keys) if (JSON.stringify(a[k]) !== JSON.stringify(bb[k])) return k;
  return undefined;
}

/**
 * Re-verifies a forged-certificate file from its contents alone. Throws on malformed hex or a bad
 * key (the caller turns that into an invalid verdict).
 */
export function verifyForgedFile(
  file: Record<string, unknown>,
): ForgedVerdict | { valid: false; reason: string } {
  const { f, publicKeys } = file;
  if (!Array.isArray(publicKeys) || publicKeys.length === 0 || publicKeys.length > MAX_REPLICAS) {
    return { valid: false, reason: `publicKeys must list 1 to ${MAX_REPLICAS} keys` };
  }
  const n = publicKeys.length;
  if (typeof f !== 'number' || !Number.isInteger(f) || f < 0 || n < 3 * f + 1) {
    return { valid: false, reason: `f must be an integer with n = ${n} >= 3f + 1` };
  }
  const keys = publicKeys.map((k) => fromHex(String(k)));
  const verifiers: Verifier[] = keys.map((k) => Ed25519Verifier.fromPublicKey(k));
  const cluster = fromHex(String(file.cluster));
  const principals = { n, f, replica: (id: number) => verifiers[id], client: () => undefined };
  const j = judgeForged(fromHex(String(file.message)), { cluster, principals });
  if (!j.forged) return { valid: false, reason: `the message proves nothing: ${j.reason}` };
  const differs = firstDifference(file, forgedCertificateFile(cluster, f, keys, j));
  if (differs !== undefined) {
    return { valid: false, reason: `the file's ${differs} is not what verifying its message finds` };
  }
  const { replica, message, view, rule, check } = j;
  return { valid: true, replica, kind: 'forged-certificate', message, view, rule, check };
}
