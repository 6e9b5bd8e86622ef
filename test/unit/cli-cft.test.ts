/**
 * The command line on a crash-fault network, as real processes: `up` refuses a --protocol that is
 * not the existing directory's, and `up` and `replica` refuse --byzantine (a crash-fault network has
 * no Byzantine behaviours); nothing is started in these cases.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { initCluster } from '../../src/config/index.js';

/** The compiled CLI entry (this file runs from dist/test/unit/). */
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs the CLI with `args`; resolves with its exit status and output. */
function cli(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { encoding: 'utf8', timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
      },
    );
  });
}

let root = '';
let cft = '';
let pbft = '';
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bftledger-cli-cft-'));
  cft = path.join(root, 'cft');
  pbft = path.join(root, 'pbft');
  initCluster({ dir: cft, replicas: 3, clients: 1, protocol: 'cft', basePort: 61400 });
  initCluster({ dir: pbft, replicas: 4, clients: 1, basePort: 61500 });
});
after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('the command line on a crash-fault network', { concurrency: true }, () => {
  it('up refuses a --protocol other than the directory has, naming both', async () => {
    const r = await cli('up', '--dir', cft, '--protocol', 'pbft');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cluster\.json runs cft, not pbft/);
    const back = await cli('up', '--dir', pbft, '--protocol', 'cft');
    assert.equal(back.status, 1);
    assert.match(back.stderr, /cluster\.json runs pbft, not cft/);
    assert.equal(fs.existsSync(path.join(cft, 'logs')), false, 'no replica was started');
  });

  it('up refuses --byzantine on a crash-fault network', async () => {
    const r = await cli('up', '--dir', cft, '--byzantine', '0:silent');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no Byzantine behaviours; --byzantine needs a pbft network/);
  });

  it('replica refuses --byzantine on a crash-fault network as bad usage', async () => {
    const r = await cli('replica', '--dir', cft, '--id', '0', '--byzantine', 'silent');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no Byzantine behaviours/);
    assert.equal(fs.existsSync(path.join(cft, 'data')), false, 'nothing opened');
  });

  it('up refuses fewer crash-fault replicas than tolerate one crash when initialising', async () => {
    const r = await cli('up', '--dir', path.join(root, 'tiny'), '--protocol', 'cft', '--replicas', '2');
    assert.equal(r.status, 2, 'commander refuses below the option minimum');
    assert.match(r.stderr, /--replicas/);
  });
});
