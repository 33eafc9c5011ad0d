// `--trust-proxy CIDR[,CIDR]`: the client address for rate limiting and logs comes from
// `X-Forwarded-For` only when the connection comes from one of these networks.
import { ipaddr } from "../../deps/ipaddr.ts";

type Address = ReturnType<typeof ipaddr.parse>;
type Range = [Address, number];

/** Trusted proxy networks, parsed once. */
export interface TrustedProxies {
  /** The networks as given (for logs). */
  readonly cidrs: readonly string[];
  /** Whether an address is in one of the networks. */
  contains(address: string): boolean;
}

function parseAddress(text: string): Address | undefined {
  const t = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (!ipaddr.isValid(t)) return undefined;
  return ipaddr.process(t);
}

/**
 * Parses `CIDR[,CIDR]` (a bare address is a /32 or /128). Throws an Error naming the first entry
 * that is not a network.
 *
 * @example
 * ```ts
 * const t = parseTrustedProxies("10.0.0.0/8, ::1");
 * t.contains("10.1.2.3"); // true
 * t.contains("::ffff:10.1.2.3"); // true (IPv4-mapped)
 * t.contains("192.0.2.1"); // false
 * ```
 */
export function parseTrustedProxies(text: string): TrustedProxies {
  const cidrs = text.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (!cidrs.length) throw new Error("expected CIDR[,CIDR], got nothing");
  const ranges: Range[] = [];
  for (const c of cidrs) {
    if (ipaddr.isValidCIDR(c)) {
      const [addr, bits] = ipaddr.parseCIDR(c);
      // 10.0.0.0/8 written as ::ffff:10.0.0.0/104 is matched as IPv4 as well.
      if (
        addr.kind() === "ipv6" &&
        (addr as ReturnType<typeof ipaddr.IPv6.parse>).isIPv4MappedAddress() && bits >= 96
      ) {
        ranges.push([(addr as ReturnType<typeof ipaddr.IPv6.parse>).toIPv4Address(), bits - 96]);
      } else {
        ranges.push([addr, bits]);
      }
    } else if (ipaddr.isValid(c)) {
      const addr = ipaddr.process(c);
      ranges.push([addr, addr.kind() === "ipv4" ? 32 : 128]);
    } else {
      throw new Error(`not a CIDR network or address: '${c.slice(0, 60)}'`);
    }
  }
  return {
    cidrs,
    contains(address) {
      const a = parseAddress(address);
      if (!a) return false;
      return ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net, bits));
    },
  };
}

/**
 * The client address of a request: the peer, unless the peer is a trusted proxy; then the
 * rightmost `X-Forwarded-For` entry that is not a trusted proxy (entries left of it can be
 * forged by the client). An entry that is not an IP address stops the walk at the last good hop.
 * The result is always a valid, normalised address (or the peer as given, when it is not one).
 *
 * @example
 * ```ts
 * const t = parseTrustedProxies("127.0.0.1");
 * clientAddress("127.0.0.1", "203.0.113.9, 198.51.100.7", t); // "198.51.100.7"
 * clientAddress("192.0.2.5", "203.0.113.9", t); // "192.0.2.5": not from a trusted proxy
 * ```
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | null | undefined,
  trusted: TrustedProxies | undefined,
): string | undefined {
  if (!peer || !trusted || !forwardedFor || !trusted.contains(peer)) return peer;
  let client = peer;
  const hops = forwardedFor.split(",").slice(-32);
  for (let i = hops.length - 1; i >= 0; i--) {
    const addr = parseAddress(hops[i]);
    if (!addr) break;
    client = addr.toString();
    if (!trusted.contains(client)) break;
  }
  return client;
}
