/** TCP multiaddrs of replicas, as cluster.json spells them: `/ip4/127.0.0.1/tcp/7000`. */
import { isIPv6 } from 'node:net';

/** Where a replica listens, split out of its multiaddr. */
export interface TcpAddress {
  /** IP address or DNS name. */
  readonly host: string;
  /** TCP port, 1..65535. */
  readonly port: number;
}

/** A dotted-quad IPv4 address with canonical octets (no leading zeros). */
const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;
/** A DNS name: dot-separated labels of letters, digits and inner hyphens. */
const DNS_NAME =
  /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
/** A canonical decimal port. */
const PORT = /^[1-9][0-9]{0,4}$/;

/** The multiaddr of a TCP listener on an IPv4 address. */
export function tcpMultiaddr(host: string, port: number): string {
  return `/ip4/${host}/tcp/${port}`;
}

/**
 * Splits `/ip4|ip6|dns|dns4|dns6/HOST/tcp/PORT` into host and port, or returns why it cannot.
 * Other multiaddrs (peer ids, other transports) are refused: replicas are dialled over TCP only.
 */
export function parseTcpMultiaddr(addr: string): TcpAddress | string {
  const parts = addr.split('/');
  if (parts.length !== 5 || parts[0] !== '' || parts[3] !== 'tcp') {
    return 'expected a TCP multiaddr such as /ip4/127.0.0.1/tcp/7000';
  }
  const [, protocol = '', host = '', , portText = ''] = parts;
  if (!PORT.test(portText) || Number(portText) > 65535) return `bad TCP port "${portText}"`;
  const port = Number(portText);
  switch (protocol) {
    case 'ip4': {
      const octets = IPV4.exec(host);
      if (octets === null || octets.slice(1).some((o) => Number(o) > 255)) {
        return `bad IPv4 address "${host}"`;
      }
      return { host, port };
    }
    case 'ip6':
      return isIPv6(host) ? { host, port } : `bad IPv6 address "${host}"`;
    case 'dns':
    case 'dns4':
    case 'dns6':
      return DNS_NAME.test(host) ? { host: host.toLowerCase(), port } : `bad DNS name "${host}"`;
    default:
      return `unsupported address protocol "${protocol}" (use ip4, ip6, dns, dns4 or dns6)`;
  }
}
