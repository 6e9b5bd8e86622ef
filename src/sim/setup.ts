/**
 * Everything a simulated cluster is made of before the first event: the cluster id, every
 * principal's keys (derived from the run's seed, never from the OS), the boundary's principal table
 * and the ledger's genesis. Two runs with the same seed build byte-identical worlds.
 */

import { Ed25519Signer, Ed25519Verifier } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/hash.js';
import { KeyedHashSigner } from '../crypto/keyed-hash.js';
import type { Signer, Verifier } from '../crypto/types.js';
import type { Genesis } from '../ledger/genesis.js';
import type { Principals } from '../messages/boundary.js';
import { CLUSTER_ID_BYTES } from '../messages/envelope.js';

/** Which signature scheme the simulated principals use. */
export type SimCrypto = 'keyed-hash' | 'ed25519';

/** Every signature scheme the simulator knows, for option validation. */
export const SIM_CRYPTO_SCHEMES: readonly SimCrypto[] = ['keyed-hash', 'ed25519'];

/** One principal's key pair as the simulator holds it. */
export interface SimKey {
  /** Signs this principal's messages. */
  readonly signer: Signer;
  /** Verifies them (what every other principal holds). */
  readonly verifier: Verifier;
}

/** The keys and genesis of one simulated cluster. */
export interface SimWorld {
  /** 16-byte cluster id, derived from the seed. */
  readonly cluster: Uint8Array;
  /** Replica keys by replica id. */
  readonly replicas: readonly SimKey[];
  /** Client keys by client id. */
  readonly clients: readonly SimKey[];
  /** The principal table every boundary context shares. */
  readonly principals: Principals;
  /** The genesis every replica's ledger starts from. */
  readonly genesis: Genesis;
  /** Account name of each client id (client i owns accounts[i]). */
  readonly accounts: readonly string[];
  /** Sum of the opening balances: conservation is checked against it. */
  readonly genesisTotal: bigint;
}

/** What `buildWorld` needs. */
export interface WorldSpec {
  /** The run's seed. */
  readonly seed: number;
  /** Number of replicas. */
  readonly n: number;
  /** Faults tolerated. */
  readonly f: number;
  /** Number of simulated clients. */
  readonly clients: number;
  /** Signature scheme. */
  readonly crypto: SimCrypto;
  /** Opening balance of every client account. */
  readonly startingBalance: bigint;
}

const utf8 = new TextEncoder();

/** The account name of client `id`. */
export function clientAccount(id: number): string {
  return `client-${id}`;
}

/** A deterministic key for the principal named `label` under `seed`. */
function makeKey(seed: number, label: string, scheme: SimCrypto): SimKey {
  const material = utf8.encode(`bftledger/sim/${seed >>> 0}/${label}`);
  if (scheme === 'keyed-hash') {
    const signer = KeyedHashSigner.fromSeed(material);
    return { signer, verifier: signer.toVerifier() };
  }
  const signer = Ed25519Signer.fromSecretKey(sha256(material));
  return { signer, verifier: Ed25519Verifier.fromPublicKey(signer.publicKey) };
}

/** Builds the keys, principal table and genesis of a simulated cluster. */
export function buildWorld(spec: WorldSpec): SimWorld {
  const cluster = sha256(utf8.encode(`bftledger/sim/cluster/${spec.seed >>> 0}`)).slice(0, CLUSTER_ID_BYTES);
  const replicas = Array.from({ length: spec.n }, (_, i) => makeKey(spec.seed, `replica/${i}`, spec.crypto));
  const clients = Array.from({ length: spec.clients }, (_, i) =>
    makeKey(spec.seed, `client/${i}`, spec.crypto),
  );
  const principals: Principals = {
    n: spec.n,
    f: spec.f,
    replica: (id) => replicas[id]?.verifier,
    client: (id) => clients[id]?.verifier,
  };
  const accounts = clients.map((_, i) => clientAccount(i));
  const genesis: Genesis = {
    accounts: clients.map((key, i) => ({
      name: clientAccount(i),
      owner: key.signer.publicKey,
      balance: spec.startingBalance,
    })),
    issuers: clients.length > 0 && clients[0] !== undefined ? [clients[0].signer.publicKey] : [],
    clients: clients.map((key) => key.signer.publicKey),
  };
  return {
    cluster,
    replicas,
    clients,
    principals,
    genesis,
    accounts,
    genesisTotal: spec.startingBalance * BigInt(spec.clients),
  };
}
