/** The network layer: libp2p transport, identities, and wire framing. */
import './polyfill.js';

export { encodeFrames, FRAME_PREFIX_BYTES, FrameDecoder } from './frame-codec.js';
export { allowListGater, createHost, FRAME_PROTOCOL, type HostOptions } from './host.js';
export { peerIdOf, privateKeyOf } from './identity.js';
export { FrameTooLargeError, startTransport } from './node.js';
export { ensurePolyfills } from './polyfill.js';
export type { NetCounters, NetOptions, PeerInfo, Transport } from './types.js';
