/** Option parsers shared by the commands: each refuses bad input with a clear message (exit 2). */
import { InvalidArgumentError } from 'commander';

/** A parser for an integer option in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const v = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(v) || v < min || v > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    }
    return v;
  };
}

/** A parser for a positive decimal amount of at most 39 digits (the ledger caps it at 2^128 - 1). */
export function positiveAmount(value: string): bigint {
  if (!/^[1-9][0-9]{0,38}$/.test(value.trim())) {
    throw new InvalidArgumentError('expected a positive decimal integer (at most 39 digits)');
  }
  return BigInt(value.trim());
}
