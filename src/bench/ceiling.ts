/**
 * The crypto ceiling of a benchmark run: the throughput this machine could reach if its cores did
 * nothing but the signature work a signed request cannot avoid: the client's signature and one
 * verification of it by every replica under PBFT (a Byzantine replica must not be trusted to have
 * checked it), by the leader alone under the crash-fault protocol. Everything else (transport, protocol
 * votes, replies, storage, execution) only lowers the real figure, so the ratio of a measured
 * throughput to this ceiling says how much of the machine goes to work other than that minimum.
 */
import type { CryptoCalibration } from '../crypto/calibrate.js';

/** The ceiling and what it was computed from. */
export interface CryptoCeiling {
  /** Cores assumed available to the whole run (replicas and clients together). */
  readonly cores: number;
  /** Replicas that each verify every request. */
  readonly verifiers: number;
  /** Measured CPU microseconds per Ed25519 signature and verification. */
  readonly signUs: number;
  readonly verifyUs: number;
  /** Signed requests per second the cores could sign and verify, at most. */
  readonly txPerSecond: number;
}

/** The ceiling when `verifiers` replicas each verify every request, on `cores` cores, at the calibrated costs. */
export function cryptoCeiling(
  calibration: CryptoCalibration,
  verifiers: number,
  cores: number,
): CryptoCeiling {
  const perTxSeconds = calibration.signSeconds + verifiers * calibration.verifySeconds;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    cores,
    verifiers,
    signUs: round(calibration.signSeconds * 1e6),
    verifyUs: round(calibration.verifySeconds * 1e6),
    txPerSecond: Math.round(cores / perTxSeconds),
  };
}
