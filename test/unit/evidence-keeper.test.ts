/**
 * A replica's evidence keeper with real keys on disk: a frame refused for a forged certificate (at
 * parsing or at a nested signature), a verified NEW-VIEW that is not its recomputation, and an
 * equivocation each become a file, a metric and a status entry; `bftledger evidence verify --dir`
 * accepts the files and refuses an edited one.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { initCluster, loadSigner } from '../../src/config/index.js';
import { sha256 } from '../../src/crypto/hash.js';
import {
  type BodyOf,
  batchDigest,
  type Kind,
  parseFrame,
  seal,
  sealMessage,
  verifyFrame,
} from '../../src/messages/index.js';
import { EvidenceKeeper } from '../../src/node/evidence-keeper.js';
import { ReplicaMetrics } from '../../src/node/metrics.js';
import { principalsOf } from '../../src/node/principals.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-evidence-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const { cluster } = initCluster({ dir, replicas: 4, clients: 1 });
const signers = [0, 1, 2, 3].map((i) => loadSigner(dir, 'replica', i));
const principals = principalsOf(cluster);
const ctx = { cluster: cluster.clusterId, principals };
const metrics = new ReplicaMetrics();
const keeper = new EvidenceKeeper({
  dir,
  id: 0,
  cluster,
  principals,
  metrics,
  logger: pino({ level: 'silent' }),
});

/** `body` as `kind`, signed by replica `id` (or by `signer`'s key). */
function sealed<K extends Kind>(kind: K, id: number, body: BodyOf[K], signer = id): Uint8Array {
  return sealMessage(signers[signer]!, sha256, cluster.clusterId, kind, id, body).bytes;
}

const NULL = batchDigest([]);
const prePrepare = sealed('pre-prepare', 0, { view: 0, seq: 1, digest: NULL, requests: [] });
const prepare = (id: number, signer = id) => sealed('prepare', id, { view: 0, seq: 1, digest: NULL }, signer);

/** Replica 3's view-change to view 1 carrying `prepares` for the pre-prepare at seq 1. */
function viewChange(prepares: Uint8Array[], sender = 3): Uint8Array {
  return sealed('view-change', sender, {
    newView: 1,
    stableSeq: 0,
    stableDigest: new Uint8Array(32),
    checkpointProof: [],
    prepared: [{ prePrepare, prepares }],
  });
}

/** The runtime's path for a frame: parse, verify, then the keeper sees the refusal or the message. */
function receive(bytes: Uint8Array): void {
  const parsed = parseFrame(bytes, ctx);
  if (!parsed.ok) return keeper.refused(bytes, parsed.reason);
  const checked = verifyFrame(parsed.value);
  if (!checked.ok) return keeper.refused(parsed.value.message.bytes, checked.reason);
  keeper.verified(checked.value);
}

/** Runs the CLI; resolves with its exit code and parsed JSON line. */
async function verifyCli(file: string): Promise<{ code: number; out: Record<string, unknown> }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [
      MAIN,
      'evidence',
      'verify',
      file,
      '--dir',
      dir,
    ]);
    return { code: 0, out: JSON.parse(stdout) };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: JSON.parse(e.stdout) };
  }
}

/** The counter's value for one kind. */
async function counted(kind: string): Promise<number> {
  const values = (await metrics.evidence.get()).values;
  return values.find((v) => v.labels.kind === kind)?.value ?? -1;
}

describe('the evidence keeper', () => {
  test('forged certificates and equivocation become files, metrics and status entries', async () => {
    receive(viewChange([prepare(1)])); // refused while parsing: one prepare, need two
    receive(viewChange([prepare(1), prepare(2, 1)])); // refused at a nested signature
    receive(viewChange([prepare(1), prepare(2)])); // honest
    const vcs = [1, 2, 3].map((id) => sealed('view-change', id, viewChangeBody()));
    const extra = sealed('pre-prepare', 1, { view: 1, seq: 1, digest: NULL, requests: [] });
    receive(sealed('new-view', 1, { view: 1, viewChanges: vcs, prePrepares: [extra] }));
    receive(viewChange([prepare(1)])); // the same forged bytes again: kept once
    const commit = (b: number) =>
      seal(signers[2]!, cluster.clusterId, 'commit', 2, {
        view: 0,
        seq: 1,
        digest: new Uint8Array(32).fill(b),
      });
    keeper.equivocation({ type: 'evidence', replica: 2, first: commit(1), second: commit(2) });

    assert.deepEqual(
      keeper.held.map((e) => [e.replica, e.kind, e.view]),
      [
        [3, 'forged-certificate', 1],
        [3, 'forged-certificate', 1],
        [1, 'forged-certificate', 1],
        [2, 'commit', 0],
      ],
    );
    assert.match(keeper.held[0]!.check ?? '', /prepared\[0\]: 1 prepares, need 2/);
    assert.match(keeper.held[1]!.check ?? '', /prepared\[0\]\.prepares\[1\]: bad signature/);
    assert.match(keeper.held[2]!.check ?? '', /new-view prePrepares: 1 entries, its view-changes imply 0/);
    assert.equal(await counted('forged-certificate'), 3);
    assert.equal(await counted('equivocation'), 1);
    for (const e of keeper.held) {
      assert.ok(e.file.startsWith(path.join(dir, 'evidence', 'replica-0')));
      const { code, out } = await verifyCli(e.file);
      assert.equal(code, 0, JSON.stringify(out));
      assert.equal(out.valid, true);
      assert.equal(out.replica, e.replica);
      assert.equal(out.keys, `checked against ${dir}/cluster.json`);
      assert.equal(out.keysChecked, true);
    }
  });

  test('without --dir the verdict says the keys are unchecked', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [
      MAIN,
      'evidence',
      'verify',
      keeper.held[0]!.file,
    ]);
    const out = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(out.valid, true);
    assert.equal(out.keysChecked, false);
    assert.match(String(out.keys), /^UNCHECKED/);
  });

  test('an edited file is refused by the command', async () => {
    const original = keeper.held[0]!.file;
    const edited = path.join(dir, 'edited.json');
    const file = JSON.parse(fs.readFileSync(original, 'utf8'));
    fs.writeFileSync(edited, JSON.stringify({ ...file, replica: 2 }));
    const { code, out } = await verifyCli(edited);
    assert.equal(code, 1);
    assert.equal(out.valid, false);
  });
});

/** An honest view-change body to view 1 with nothing prepared. */
function viewChangeBody(): BodyOf['view-change'] {
  return { newView: 1, stableSeq: 0, stableDigest: new Uint8Array(32), checkpointProof: [], prepared: [] };
}
