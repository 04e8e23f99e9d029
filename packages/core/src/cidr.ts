import { BlockList, isIP } from 'node:net';
import { appError, truncate } from '@entropic/types';

/** Parses `a.b.c.d/n` or `x:y::/n` (a bare address is a /32 or /128); canonical text, or INVALID_FIELD. */
function parseCidr(raw: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } {
  const text = raw.trim();
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefix = slash === -1 ? max : Number(text.slice(slash + 1));
  if (version === 0 || !/^\d{1,3}$/.test(slash === -1 ? String(max) : text.slice(slash + 1)) || prefix > max) {
    throw appError('INVALID_FIELD', `"${truncate(raw)}" is not a CIDR block such as 192.0.2.0/24 or 2001:db8::/32.`);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** Validates a CIDR allowlist and answers it as `address/prefix` strings. */
export function parseCidrs(list: readonly string[]): string[] {
  return [...new Set(list.map((raw) => parseCidr(String(raw))).map((c) => `${c.address}/${c.prefix}`))];
}

/**
 * Whether a client address falls in one of the blocks. An IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, what a dual-stack listener sees) is checked as the IPv4 address.
 */
export function addressAllowed(address: string, cidrs: readonly string[]): boolean {
  if (cidrs.length === 0) return true;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? (mapped[1] as string) : address;
  const version = isIP(ip);
  if (version === 0) return false;
  const list = new BlockList();
  for (const raw of cidrs) {
    const c = parseCidr(raw);
    list.addSubnet(c.address, c.prefix, c.family);
  }
  return list.check(ip, version === 4 ? 'ipv4' : 'ipv6');
}
