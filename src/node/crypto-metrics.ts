/**
 * The process's crypto counters (`crypto/counters.ts`) and its CPU time as Prometheus metrics, read
 * at scrape time, so a benchmark can split each replica's CPU per transaction into signing,
 * verification, hashing and the rest from two scrapes of /metrics. Registered onto a registry given
 * to it; the replica wires it with one line: `registerCryptoMetrics(this.metrics.registry)`.
 */
import { Counter, type Registry } from 'prom-client';
import { CRYPTO_OPS, type CryptoCounters, cryptoCounters } from '../crypto/counters.js';

/** Metric names, shared with the parser that reads them back (`bench/compare/scrape.ts`). */
export const CRYPTO_METRIC_NAMES = {
  /** Calls per crypto operation, label `op` (one of CRYPTO_OPS). */
  ops: 'bftledger_crypto_ops_total',
  /** Seconds in synchronous crypto calls on the event-loop thread, label `op`. */
  seconds: 'bftledger_crypto_seconds_total',
  /** Bytes hashed with SHA-256. */
  hashedBytes: 'bftledger_crypto_hashed_bytes_total',
  /** Process CPU time, user plus system, every thread (pool threads included). */
  cpu: 'bftledger_process_cpu_seconds_total',
} as const;

/** Where the metrics read their values; tests inject fixed ones. */
export interface CryptoMetricsSources {
  /** The crypto counters now. */
  readonly counters: () => CryptoCounters;
  /** Process CPU seconds now (user plus system). */
  readonly cpuSeconds: () => number;
}

/** This process's CPU seconds (user plus system, all threads). */
export function processCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The live sources: this process's counters and CPU time. */
const LIVE: CryptoMetricsSources = { counters: cryptoCounters, cpuSeconds: processCpuSeconds };

/** Registers the crypto and CPU metrics onto `registry`; values are read at each scrape. */
export function registerCryptoMetrics(registry: Registry, sources: CryptoMetricsSources = LIVE): void {
  new Counter({
    name: CRYPTO_METRIC_NAMES.ops,
    help: 'Crypto operations: sign, verify-inline (event loop), verify-pool (libuv thread pool), hash (SHA-256)',
    labelNames: ['op'],
    registers: [registry],
    collect() {
      const c = sources.counters();
      this.reset();
      for (const op of CRYPTO_OPS) this.inc({ op }, c.count[op]);
    },
  });
  new Counter({
    name: CRYPTO_METRIC_NAMES.seconds,
    help: 'Seconds in synchronous crypto calls on the event-loop thread (pool verifications are not timed)',
    labelNames: ['op'],
    registers: [registry],
    collect() {
      const c = sources.counters();
      this.reset();
      for (const op of CRYPTO_OPS) if (op !== 'verify-pool') this.inc({ op }, c.seconds[op]);
    },
  });
  new Counter({
    name: CRYPTO_METRIC_NAMES.hashedBytes,
    help: 'Bytes hashed with SHA-256',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.counters().hashBytes);
    },
  });
  new Counter({
    name: CRYPTO_METRIC_NAMES.cpu,
    help: 'Process CPU seconds, user plus system, all threads',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sources.cpuSeconds());
    },
  });
}
