/**
 * The comparison's JSON file: written pretty-printed with a trailing newline, read back with the
 * checks that keep a report from being drawn out of some other file (format, version, the shape of
 * each run). Numbers must be finite: JSON has no NaN or Infinity, and a silent null would lie.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CompareResult } from './types.js';

/** A file that is not a comparison this build can read. */
export class CompareFileError extends Error {
  /** Machine-readable reason. */
  readonly code: 'not-json' | 'wrong-format' | 'wrong-version' | 'bad-shape' | 'not-finite';

  /** Builds the error. */
  constructor(code: CompareFileError['code'], message: string) {
    super(message);
    this.name = 'CompareFileError';
    this.code = code;
  }
}

/** The path of the first non-finite number inside `value`, or null. */
function nonFinite(value: unknown, path: string): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const p = nonFinite(v, `${path}[${i}]`);
      if (p !== null) return p;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = nonFinite(v, `${path}.${k}`);
      if (p !== null) return p;
    }
  }
  return null;
}

/** The JSON text of a result; throws CompareFileError 'not-finite' if a number is NaN or infinite. */
export function compareToJson(result: CompareResult): string {
  const bad = nonFinite(result, '$');
  if (bad !== null) throw new CompareFileError('not-finite', `${bad} is not a finite number`);
  return `${JSON.stringify(result, null, 2)}\n`;
}

/** True when `x` is an object with each of `keys`. */
function hasKeys(x: unknown, keys: readonly string[]): boolean {
  return x !== null && typeof x === 'object' && keys.every((k) => k in x);
}

/** Parses and checks a comparison's JSON text. */
export function parseCompareJson(text: string): CompareResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CompareFileError('not-json', `not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!hasKeys(value, ['format', 'version']))
    throw new CompareFileError('wrong-format', 'not a bftledger comparison');
  const v = value as { format: unknown; version: unknown };
  if (v.format !== 'bftledger-compare')
    throw new CompareFileError('wrong-format', `format is ${String(v.format)}`);
  if (v.version !== 1)
    throw new CompareFileError('wrong-version', `version ${String(v.version)}; this build reads 1`);
  const top = ['spec', 'environment', 'calibration', 'runs', 'ratios', 'kills', 'failures', 'wallSeconds'];
  if (!hasKeys(value, top)) throw new CompareFileError('bad-shape', `missing one of ${top.join(', ')}`);
  const r = value as CompareResult;
  for (const list of ['runs', 'ratios', 'kills', 'failures'] as const) {
    if (!Array.isArray(r[list])) throw new CompareFileError('bad-shape', `${list} is not a list`);
  }
  if (!r.runs.every((x) => hasKeys(x, ['spec', 'load', 'cost'])))
    throw new CompareFileError('bad-shape', 'a run lacks spec, load or cost');
  if (!r.kills.every((x) => hasKeys(x, ['spec', 'victimId', 'timeline'])))
    throw new CompareFileError('bad-shape', 'a kill run lacks spec, victimId or timeline');
  return r;
}

/** Writes the result to `path` (creating its directory). */
export function writeCompareJson(path: string, result: CompareResult): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, compareToJson(result));
}

/** Reads a result written by `writeCompareJson`. */
export function readCompareJson(path: string): CompareResult {
  return parseCompareJson(readFileSync(path, 'utf8'));
}
