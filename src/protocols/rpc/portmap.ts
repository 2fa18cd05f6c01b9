// portmap v2 (RFC 1833 section 3) GETPORT and rpcbind v3/v4 (RFC 1833 section 2) GETADDR /
// GETVERSADDR: which port a program listens on. Their replies feed the port table (ports.ts),
// so that a later connection to that port is recognised (NLM on port 304, MOUNT on 20048 ...).

import type { ArgValue } from '../types.js';
import { programName } from './names.js';
import type { Xdr } from './xdr.js';

type Args = Record<string, ArgValue>;

export const PMAP_GETPORT = 3;
export const RPCB_GETADDR = 3;
export const RPCB_GETVERSADDR = 9;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const MAX_STRING = 256;
/** Most result bytes decodePortmapReply reads: a port (v2) or a universal address string<MAX_STRING>. */
export const PORTMAP_REPLY_BYTES_READ = 4 + MAX_STRING;

export function isPortQuery(vers: number, proc: number): boolean {
  return (vers === 2 && proc === PMAP_GETPORT) || (vers >= 3 && (proc === RPCB_GETADDR || (vers === 4 && proc === RPCB_GETVERSADDR)));
}

export function decodePortmapCall(x: Xdr, vers: number, proc: number, args: Args): void {
  if (!isPortQuery(vers, proc)) return;
  const prog = x.u32();
  const pvers = x.u32();
  if (vers === 2) {
    const prot = x.u32();
    if (!x.ok) return;
    args.proto = prot === IPPROTO_TCP ? 'tcp' : prot === IPPROTO_UDP ? 'udp' : String(prot);
  } else {
    const netid = x.string(MAX_STRING);
    if (!x.ok) return;
    args.proto = netid.startsWith('tcp') ? 'tcp' : netid.startsWith('udp') ? 'udp' : netid;
  }
  args.program = prog;
  args.programName = programName(prog) ?? String(prog);
  args.version = pvers;
}

/** Universal address (RFC 5665 section 5.2.3.3): "h1.h2.h3.h4.p1.p2" or "ipv6.p1.p2" -> port. */
export function uaddrPort(uaddr: string): number {
  const parts = uaddr.split('.');
  if (parts.length < 3) return -1;
  const hi = Number(parts[parts.length - 2]);
  const lo = Number(parts[parts.length - 1]);
  if (!Number.isInteger(hi) || !Number.isInteger(lo) || hi < 0 || hi > 255 || lo < 0 || lo > 255) return -1;
  return hi * 256 + lo;
}

/** The port the reply names (0 = not registered, -1 = not a port query or unreadable). Sets args.port. */
export function decodePortmapReply(x: Xdr, vers: number, proc: number, args: Args): number {
  if (!isPortQuery(vers, proc)) return -1;
  let port: number;
  if (vers === 2) {
    port = x.u32();
    if (!x.ok || port > 65535) return -1;
  } else {
    const uaddr = x.string(MAX_STRING);
    if (!x.ok) return -1;
    args.uaddr = uaddr;
    port = uaddr === '' ? 0 : uaddrPort(uaddr);
    if (port < 0) return -1;
  }
  args.port = port;
  return port;
}
