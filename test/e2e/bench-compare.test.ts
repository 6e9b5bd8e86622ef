/**
 * `bftledger bench compare` end to end with tiny settings, on every protocol this build can run:
 * real replica and client processes, one measured run and one leader kill per protocol, then the
 * JSON result (complete per-process samples, crypto counted in every replica) and a report whose
 * page and charts are well-formed. Also: a network whose replica cannot start fails fast and
 * leaves no process behind.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMPARE_PROTOCOLS, readCompareJson } from '../../src/bench/compare/index.js';
import { LocalNetwork } from '../../src/bench/local-network.js';
import { PROTOCOLS } from '../../src/config/index.js';
import { parseXml } from '../support/xml.js';
import { freeBase, until } from './support.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-e2e-compare-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** The compared protocols this build has a runtime for. */
const RUNNABLE = COMPARE_PROTOCOLS.filter((p) => (PROTOCOLS as readonly string[]).includes(p));

/** Runs the CLI. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
      resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
    );
  });
}

/** Whether `port` on loopback can be listened on. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('bftledger bench compare', () => {
  it(`measures ${RUNNABLE.join(' and ')} and writes the JSON and a well-formed report`, async () => {
    const out = path.join(root, 'out');
    const base = await freeBase(7);
    const r = await cli([
      'bench',
      'compare',
      ...['--protocols', RUNNABLE.join(','), '--f', '1', '--clients', '1'],
      ...['--duration', '2', '--warmup', '1'],
      ...['--kill-clients', '2', '--kill-at', '2', '--kill-duration', '5'],
      ...['--base-port', String(base), '--out', out],
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Runs \(CPU per committed transaction/);
    assert.match(r.stdout, /One replica killed mid-run/);
    const result = readCompareJson(path.join(out, 'compare.json'));
    assert.deepEqual(result.failures, []);
    assert.match(result.environment.command, /^bftledger bench compare --protocols/);
    assert.deepEqual(
      result.runs.map((x) => `${x.spec.protocol}/${x.spec.replicas}/${x.spec.clients}`),
      RUNNABLE.map((p) => `${p}/${p === 'cft' ? 3 : 4}/1`),
    );
    for (const run of result.runs) {
      assert.ok(run.load.completed > 0, 'transactions committed in the window');
      assert.ok((run.idleReplicaCpu ?? 0) > 0, 'idle replicas still tick');
      const names = run.cost.processes.map((p) => p.name);
      const replicas = Array.from({ length: run.spec.replicas }, (_, i) => `replica-${i}`);
      assert.deepEqual(names, [...replicas, 'clients-0'], 'every process sampled at both edges');
      for (const p of run.cost.processes) assert.deepEqual(p.missing, [], `${p.name} exposes every metric`);
      assert.equal(run.cost.attribution, 'counted');
      // Counters are read at the window's edges while requests are in flight, so a request signed or
      // verified just before the window opens may commit inside it: at least one per transfer, less
      // that edge (a short run's few in-flight requests).
      assert.ok(run.cost.opsPerTx.sign >= 0.8, 'the client signs each transfer');
      assert.ok(run.cost.replicaOpsPerTx.verify >= 0.8, 'replicas verify the client signature');
      if (run.spec.protocol === 'pbft')
        assert.ok(run.cost.replicaOpsPerTx.sign > 1, 'PBFT replicas sign protocol messages and replies');
      assert.ok(run.cost.messagesPerTx > 0 && run.cost.bytesPerTx > 0);
    }
    assert.equal(result.ratios.length, RUNNABLE.length === 2 ? 1 : 0);
    assert.deepEqual(
      result.kills.map((k) => [k.spec.protocol, k.spec.victim, k.timeline.length]),
      RUNNABLE.map((p) => [p, 'leader', 20]),
    );
    const pbftKill = result.kills.find((k) => k.spec.protocol === 'pbft');
    assert.equal(pbftKill?.victimId, 0, 'the primary of view 0');
    for (const k of result.kills) assert.ok(k.committed > 0 && k.throughputBefore > 0);
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.ok(html.startsWith('<!doctype html>'));
    assert.ok(html.includes('bench compare'));
    const svgs = fs.readdirSync(out).filter((f) => f.endsWith('.svg'));
    assert.deepEqual(svgs.sort(), ['cost.svg', 'kills.svg', 'latency.svg', 'throughput.svg', 'traffic.svg']);
    for (const f of svgs) {
      const svg = fs.readFileSync(path.join(out, f), 'utf8');
      assert.equal(parseXml(svg.replace(/^<\?xml[^>]*\?>\s*/, '')).name, 'svg', f);
      assert.doesNotMatch(svg, /NaN|undefined|Infinity/, f);
    }
  });

  it('refuses bad options with exit code 2 before starting anything', async () => {
    for (const args of [
      ['--protocols', 'raft'],
      ['--f', '0'],
      ['--clients', '2,2'],
      ['--crypto-cost', 'guessed'],
      ['--unsigned-requests'],
      ['--kill-at', '20', '--kill-duration', '10'],
    ]) {
      const out = path.join(root, 'never');
      const r = await cli(['bench', 'compare', ...args, '--out', out]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(fs.existsSync(out), false);
    }
  });

  it('a replica that cannot listen fails the start fast, and the others are stopped', async () => {
    const base = await freeBase(4);
    // Other replicas dial replica 2's port and reach the blocker: it hangs up on them.
    const blocker: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(base + 2, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        LocalNetwork.start({ replicas: 4, clients: 2, basePort: base }),
        /replica 2 exited while starting/,
      );
      await until('the other replicas to release their ports', async () => {
        const free = await Promise.all([base, base + 1, base + 3].map(portFree));
        return free.every(Boolean);
      });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
