/** The operational error of cluster configuration: a refused file, field, key or key file. */

/**
 * Why a configuration was refused: 'bad-config' a field or the file's shape is wrong, 'bad-key' a
 * public key or key file was refused, 'missing' a file does not exist, 'exists' `init` would replace
 * an existing cluster without being asked to.
 */
export type ConfigErrorCode = 'bad-config' | 'bad-key' | 'missing' | 'exists';

/** A refused configuration; the message reads `SOURCE: PATH: why` so an operator can find the spot. */
export class ConfigError extends Error {
  /** Machine-readable reason, so callers branch without parsing messages. */
  readonly code: ConfigErrorCode;
  /** The file (or other source) the problem is in. */
  readonly source: string;
  /** JSON path of the offending field, like `replicas[2].publicKey`; empty for the whole source. */
  readonly path: string;
  /** What is wrong, without the source and path prefix. */
  readonly detail: string;

  /** Builds the error; `cause` carries the underlying failure, if any. */
  constructor(
    code: ConfigErrorCode,
    source: string,
    path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(path === '' ? `${source}: ${detail}` : `${source}: ${path}: ${detail}`, options);
    this.name = 'ConfigError';
    this.code = code;
    this.source = source;
    this.path = path;
    this.detail = detail;
  }
}
