/**
 * Runtime shims the libp2p stack needs on Node.js 20. libp2p 3.x calls `Promise.withResolvers`
 * (ES2024, Node.js 22+); without it every Noise handshake fails. Importing this module installs
 * the shims; entry points import it before anything that loads libp2p.
 */

/** The shape of `Promise.withResolvers`, absent from the ES2023 lib this project compiles against. */
interface Resolvers<T> {
  /** The promise the two functions below settle. */
  promise: Promise<T>;
  /** Fulfils `promise`. */
  resolve: (value: T | PromiseLike<T>) => void;
  /** Rejects `promise`. */
  reject: (reason?: unknown) => void;
}

/** Same semantics as the standard: builds the promise with `this`, so subclasses work too. */
function withResolvers<T>(this: PromiseConstructor): Resolvers<T> {
  let resolve: Resolvers<T>['resolve'] = () => undefined;
  let reject: Resolvers<T>['reject'] = () => undefined;
  const promise = new this<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Installs any missing shim (idempotent); importing this module already does it. */
export function ensurePolyfills(): void {
  const ctor = Promise as unknown as { withResolvers?: unknown };
  if (typeof ctor.withResolvers !== 'function') {
    Object.defineProperty(Promise, 'withResolvers', {
      value: withResolvers,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}

ensurePolyfills();
