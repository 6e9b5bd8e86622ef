/** The crypto and CPU metrics on a replica's registry, read back by the benchmark's sampler. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { parsePrometheusText, sampleFromMetrics } from '../../src/bench/compare/scrape.js';
import type { CryptoCounters } from '../../src/crypto/index.js';
import { cryptoCounters, sha256 } from '../../src/crypto/index.js';
import { CRYPTO_METRIC_NAMES, registerCryptoMetrics } from '../../src/node/crypto-metrics.js';
import { ReplicaMetrics } from '../../src/node/metrics.js';

const FIXED: CryptoCounters = {
  count: { sign: 12, 'verify-inline': 30, 'verify-pool': 7, hash: 100 },
  seconds: { sign: 0.25, 'verify-inline': 0.5, 'verify-pool': 0, hash: 0.125 },
  hashBytes: 4096,
  timing: true,
};

describe('registerCryptoMetrics', () => {
  it('exposes ops, seconds, bytes hashed and CPU, read at scrape time', async () => {
    const registry = new Registry();
    let cpu = 1.5;
    registerCryptoMetrics(registry, { counters: () => FIXED, cpuSeconds: () => cpu });
    const text = await registry.metrics();
    const lines = parsePrometheusText(text);
    const value = (name: string, op?: string) =>
      lines.find((l) => l.name === name && (op === undefined || l.labels.op === op))?.value;
    assert.equal(value(CRYPTO_METRIC_NAMES.ops, 'sign'), 12);
    assert.equal(value(CRYPTO_METRIC_NAMES.ops, 'verify-pool'), 7);
    assert.equal(value(CRYPTO_METRIC_NAMES.seconds, 'verify-inline'), 0.5);
    assert.equal(value(CRYPTO_METRIC_NAMES.seconds, 'verify-pool'), undefined, 'pool work is never timed');
    assert.equal(value(CRYPTO_METRIC_NAMES.hashedBytes), 4096);
    assert.equal(value(CRYPTO_METRIC_NAMES.cpu), 1.5);
    assert.match(text, /# TYPE bftledger_crypto_ops_total counter/);
    cpu = 2.5;
    const again = parsePrometheusText(await registry.metrics());
    assert.equal(
      again.find((l) => l.name === CRYPTO_METRIC_NAMES.cpu)?.value,
      2.5,
      'a scrape reads fresh values',
    );
  });

  it('round-trips through the sampler, next to the replica metrics on the same registry', async () => {
    const metrics = new ReplicaMetrics();
    registerCryptoMetrics(metrics.registry, { counters: () => FIXED, cpuSeconds: () => 3 });
    metrics.messagesOut.inc({ kind: 'prepare' }, 5);
    metrics.messagesOut.inc({ kind: 'commit' }, 6);
    metrics.transport.set({ counter: 'bytesOut' }, 9000);
    const s = sampleFromMetrics(await metrics.registry.metrics(), 'replica', 'replica-0');
    assert.deepEqual(s.crypto, FIXED);
    assert.equal(s.cpuSeconds, 3);
    assert.equal(s.messagesOut, 11);
    assert.equal(s.bytesOut, 9000);
    assert.deepEqual(s.missing, []);
  });

  it('reads the live counters of this process by default', async () => {
    const registry = new Registry();
    registerCryptoMetrics(registry);
    sha256(new Uint8Array(8));
    const expected = cryptoCounters().count.hash;
    const s = sampleFromMetrics(await registry.metrics(), 'client', 'self');
    assert.equal(s.crypto.count.hash, expected);
    assert.ok(s.cpuSeconds > 0);
  });
});
