/**
 * `bftledger bench` options and the benchmark-only unsigned mode as real processes: bad workload
 * options exit 2 with a clear message before any network starts, `up` refuses a network whose
 * cluster.json enables unsigned requests, and the workload helpers build the operations a run sends.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cryptoCeiling } from '../../src/bench/ceiling.js';
import { ramp, sumPerSecond } from '../../src/bench/load.js';
import { operationFor, workloadProblem } from '../../src/bench/workload.js';
import { initCluster } from '../../src/config/index.js';
import { decodeOp, MAX_NULL_PAYLOAD_BYTES } from '../../src/ledger/index.js';

/** The compiled CLI entry (this file runs from dist/test/unit/). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the CLI with `args` as a separate process. */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

let root = '';
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-cli-bench-'));
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('bftledger bench options', { concurrency: true }, () => {
  const refused: [string, string[], RegExp][] = [
    [
      'unsigned requests with transfers',
      ['--unsigned-requests'],
      /--unsigned-requests is allowed only with --workload null/,
    ],
    ['an unknown workload', ['--workload', 'noop'], /expected transfer or null/],
    [
      'a null payload past the op limit',
      ['--workload', 'null', '--request-bytes', '5000'],
      /--request-bytes must be/,
    ],
  ];
  for (const [what, args, message] of refused)
    it(`exits 2 before starting anything on ${what}`, async () => {
      const r = await cli('bench', '--dir', path.join(root, 'never'), ...args);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
      assert.equal(fs.existsSync(path.join(root, 'never')), false, 'no network was created');
    });

  it('up refuses a network whose cluster.json enables unsigned requests', async () => {
    const dir = path.join(root, 'unsigned');
    initCluster({ dir, replicas: 4, clients: 2, basePort: 7400, parameters: { unsignedRequests: true } });
    const r = await cli('up', '--dir', dir);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /unsignedRequests .*refused for normal use/);
    assert.equal(fs.existsSync(path.join(dir, 'logs')), false, 'no replica was started');
  });
});

describe('crypto ceiling', () => {
  const calibration = {
    signSeconds: 50e-6,
    verifySeconds: 100e-6,
    sha256CallSeconds: 1e-6,
    sha256KbSeconds: 2e-6,
    timerSeconds: 0,
    messageBytes: 200,
    rounds: 5,
  };
  it('is the cores over one signature plus one verification per verifying replica', () => {
    assert.deepEqual(cryptoCeiling(calibration, 4, 2), {
      cores: 2,
      verifiers: 4,
      signUs: 50,
      verifyUs: 100,
      txPerSecond: 4444,
    });
    assert.equal(cryptoCeiling(calibration, 1, 2).txPerSecond, 13333);
  });
});

describe('bench ramp', () => {
  it('sums client processes second by second and shows warm-up and window apart', () => {
    assert.deepEqual(sumPerSecond([[1, 2, 3], [10, 20], []]), [11, 22, 3]);
    const perSecond = [100, 200, 370, 390, 400, 400, 410, 390];
    assert.deepEqual(ramp(perSecond, 4, 2), { line: '150 380 | 400 400', rising: false });
    assert.deepEqual(ramp(perSecond, 0, 3), { line: '223 397 400', rising: false });
  });
  it('says the warm-up was too short when its last chunk ran under 90% of the window', () => {
    assert.equal(ramp([100, 200, 300, 400, 500, 600], 2, 2).rising, true);
    assert.equal(ramp([100, 380, 400, 400], 2, 1).rising, false);
  });
});

describe('bench workloads', () => {
  const accounts = ['client-0', 'client-1', 'client-2'];
  it('a transfer pays 1 unit from the client to the next account', () => {
    const op = decodeOp(
      operationFor({ workload: 'transfer', requestBytes: 0, unsignedRequests: false }, 2, accounts),
    );
    assert.deepEqual(op, { type: 'transfer', value: { from: 'client-2', to: 'client-0', amount: 1n } });
  });

  it('a null op carries exactly the requested payload bytes', () => {
    for (const bytes of [0, 4, MAX_NULL_PAYLOAD_BYTES]) {
      const op = decodeOp(
        operationFor({ workload: 'null', requestBytes: bytes, unsignedRequests: true }, 1, accounts),
      );
      assert.ok(op?.type === 'null');
      assert.equal(op.value.payload.length, bytes);
    }
  });

  it('refuses unsigned transfers and payloads past the limit; accepts the rest', () => {
    assert.match(
      workloadProblem({ workload: 'transfer', requestBytes: 0, unsignedRequests: true }) ?? '',
      /only with/,
    );
    assert.match(
      workloadProblem({
        workload: 'null',
        requestBytes: MAX_NULL_PAYLOAD_BYTES + 1,
        unsignedRequests: false,
      }) ?? '',
      /request-bytes/,
    );
    assert.equal(workloadProblem({ workload: 'null', requestBytes: 4, unsignedRequests: true }), undefined);
    assert.equal(
      workloadProblem({ workload: 'transfer', requestBytes: 0, unsignedRequests: false }),
      undefined,
    );
  });
});
