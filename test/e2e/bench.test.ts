/**
 * `bftledger bench` end to end, briefly: a null-workload run with unsigned requests starts its own
 * network (whose replicas warn loudly), says so in its output, and writes a JSON result with the
 * figures a comparison needs: throughput, latency percentiles, CPU and traffic per request.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freeBase } from './support.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-e2e-bench-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('bftledger bench', () => {
  it('null workload, unsigned requests: own network, loud warnings, a complete JSON result', async () => {
    const dir = path.join(root, 'net');
    const out = path.join(root, 'result.json');
    const base = await freeBase(4);
    const args = [
      'bench',
      '--dir',
      dir,
      '--workload',
      'null',
      '--request-bytes',
      '16',
      '--unsigned-requests',
    ];
    args.push(
      '--clients',
      '2',
      '--duration',
      '1',
      '--warmup',
      '0',
      '--base-port',
      String(base),
      '--out',
      out,
    );
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
      );
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /workload=null\/16B UNSIGNED requests/);
    assert.match(r.stderr, /UNSIGNED/);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { result: Record<string, unknown> };
    const res = report.result as {
      completed: number;
      throughput: number;
      latencyMs: { p50: number; p90: number; p99: number };
      cpu: { msPerTx: number; replicaMsPerTx: number };
      net: { framesPerTx: number; bytesPerTx: number };
      workload: unknown;
      network: { unsignedRequests: boolean };
    };
    assert.ok(res.completed > 0, 'requests completed');
    assert.ok(res.latencyMs.p50 > 0 && res.latencyMs.p50 <= res.latencyMs.p99);
    assert.ok(res.cpu.msPerTx > res.cpu.replicaMsPerTx && res.cpu.replicaMsPerTx > 0);
    assert.ok(res.net.framesPerTx >= 5, 'a request, replies and protocol messages');
    assert.ok(res.net.bytesPerTx > 16);
    assert.deepEqual(res.workload, { workload: 'null', requestBytes: 16, unsignedRequests: true });
    assert.equal(res.network.unsignedRequests, true);
    const logs = fs.readFileSync(path.join(dir, 'logs', 'replica-0.log'), 'utf8');
    assert.match(logs, /UNSIGNED REQUESTS/);
  });
});
