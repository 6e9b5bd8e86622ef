/**
 * Strict readers for JSON configuration fields. Every reader names the JSON path of the field it
 * refuses, and objects are read against a closed list of field names, so a misspelt field is an
 * error rather than a silently ignored line.
 */
import { checkPublicKey, fromHex, KeyError, PUBLIC_KEY_BYTES } from '../crypto/index.js';
import { ConfigError, type ConfigErrorCode } from './errors.js';

/** Lowercase hex only: one spelling per key, so files can be compared and searched as text. */
const LOWER_HEX = /^[0-9a-f]*$/;
/** A canonical non-negative decimal integer: no sign, no leading zeros, no exponent. */
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** The path of field `key` inside the object at `path`. */
export function fieldPath(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** The path of element `index` of the array at `path`. */
export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** Reads fields of one JSON document, throwing ConfigError with the source and path on any problem. */
export class FieldReader {
  /** Names the document in every error (usually its file path). */
  readonly source: string;

  /** A reader for the document `source`. */
  constructor(source: string) {
    this.source = source;
  }

  /** Throws the ConfigError for `path`. */
  fail(path: string, detail: string, code: ConfigErrorCode = 'bad-config', cause?: unknown): never {
    throw new ConfigError(code, this.source, path, detail, cause === undefined ? {} : { cause });
  }

  /** A JSON object holding exactly the fields `names`: a missing or an unknown field is refused. */
  object<const K extends string, const O extends string = never>(
    value: unknown,
    path: string,
    names: readonly K[],
    optional: readonly O[] = [],
  ): Record<K, unknown> & Partial<Record<O, unknown>> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(path, `expected an object, found ${describe(value)}`);
    }
    const fields = value as Record<string, unknown>;
    for (const key of Object.keys(fields)) {
      const allowed: readonly string[] = [...names, ...optional];
      if (!allowed.includes(key)) {
        const near = nearest(key, allowed);
        const hint = near === undefined ? `expected one of ${allowed.join(', ')}` : `did you mean "${near}"?`;
        this.fail(fieldPath(path, key), `unknown field (${hint})`);
      }
    }
    for (const name of names) {
      if (!Object.hasOwn(fields, name)) this.fail(fieldPath(path, name), 'missing');
    }
    return fields as Record<K, unknown> & Partial<Record<O, unknown>>;
  }

  /** A JSON array of at most `max` elements. */
  array(value: unknown, path: string, max: number): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected an array, found ${describe(value)}`);
    if (value.length > max) this.fail(path, `at most ${max} entries allowed, found ${value.length}`);
    return value;
  }

  /** An integer in [min, max]. */
  integer(value: unknown, path: string, min: number, max: number): number {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
      this.fail(path, `expected an integer in [${min}, ${max}], found ${describe(value)}`);
    }
    return value;
  }

  /** A non-empty string. */
  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, found ${describe(value)}`);
    if (value === '') this.fail(path, 'must not be empty');
    return value;
  }

  /** Exactly `bytes` bytes written as lowercase hex. */
  hex(value: unknown, path: string, bytes: number, code: ConfigErrorCode = 'bad-config'): Uint8Array {
    if (typeof value !== 'string') this.fail(path, `expected a hex string, found ${describe(value)}`, code);
    if (value.length !== bytes * 2) {
      this.fail(path, `expected ${bytes * 2} hex characters (${bytes} bytes), found ${value.length}`, code);
    }
    if (!LOWER_HEX.test(value)) this.fail(path, 'expected lowercase hex digits only', code);
    return fromHex(value);
  }

  /** An Ed25519 public key that `checkPublicKey` accepts (small-order and mixed-order keys refused). */
  publicKey(value: unknown, path: string): Uint8Array {
    const key = this.hex(value, path, PUBLIC_KEY_BYTES, 'bad-key');
    try {
      checkPublicKey(key);
    } catch (err) {
      if (!(err instanceof KeyError)) throw err;
      this.fail(path, keyRefusal(err), 'bad-key', err);
    }
    return key;
  }

  /** A canonical decimal string of a bigint in [0, max]. */
  decimal(value: unknown, path: string, max: bigint): bigint {
    if (typeof value !== 'string') {
      this.fail(path, `expected a decimal string such as "1000", found ${describe(value)}`);
    }
    if (!DECIMAL.test(value)) {
      this.fail(
        path,
        `expected a non-negative decimal integer without sign or leading zeros, found "${value}"`,
      );
    }
    // Compare lengths first so a huge string is never turned into a bigint.
    if (value.length > max.toString().length || BigInt(value) > max) {
      this.fail(path, `must be at most ${max}`);
    }
    return BigInt(value);
  }
}

/** Claims values that must be unique across a document, and names the earlier holder on a clash. */
export class UniqueValues {
  /** The path that first claimed each value. */
  readonly #owners = new Map<string, string>();
  /** Says what is being claimed ("public key", "port"), for the message. */
  readonly #what: string;
  /** Throws through this reader. */
  readonly #reader: FieldReader;

  /** A registry of `what` values for the document read by `reader`. */
  constructor(reader: FieldReader, what: string) {
    this.#reader = reader;
    this.#what = what;
  }

  /** Records `value` for `path`; throws if another path holds it already. */
  claim(value: string, path: string, shown: string = value): void {
    const owner = this.#owners.get(value);
    if (owner !== undefined) this.#reader.fail(path, `duplicate ${this.#what} ${shown} (also at ${owner})`);
    this.#owners.set(value, path);
  }
}

/** A short phrase for why a key was refused. */
function keyRefusal(err: KeyError): string {
  switch (err.code) {
    case 'small-order':
      return 'small-order key refused';
    case 'not-torsion-free':
      return 'mixed-order key refused (it has a small-order component; not torsion-free)';
    case 'bad-encoding':
      return 'not a canonical Ed25519 point encoding';
    default:
      return err.message;
  }
}

/** A short description of a JSON value for error messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** The name in `names` within two edits of `key` (case-insensitive), if there is one. */
function nearest(key: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = editDistance(key.toLowerCase(), name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance between two short strings. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
