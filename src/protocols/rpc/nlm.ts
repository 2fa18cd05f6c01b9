// NLM (Network Lock Manager, program 100021; v4 in RFC 1813 appendix II): the lock range and
// owner of TEST/LOCK/CANCEL/UNLOCK calls, and the nlm4_stats of replies.

import type { ArgValue } from '../types.js';
import type { Xdr } from './xdr.js';

type Args = Record<string, ArgValue>;

const MAX_COOKIE = 1024;
const MAX_NAME = 1024;
const MAX_FH = 64;
/** Most result bytes decodeNlmReply reads: cookie<MAX_COOKIE>, stat. */
export const NLM_REPLY_BYTES_READ = 4 + MAX_COOKIE + 4;
const NLM_STAT = ['GRANTED', 'DENIED', 'DENIED_NOLOCKS', 'BLOCKED', 'DENIED_GRACE_PERIOD', 'DEADLCK', 'ROFS',
  'STALE_FH', 'FBIG', 'FAILED'];

/** TEST(1), LOCK(2), CANCEL(3), UNLOCK(4) and their _MSG variants (6..9) */
export function decodeNlmCall(x: Xdr, vers: number, proc: number, args: Args): void {
  const p = proc >= 6 && proc <= 9 ? proc - 5 : proc;
  if (p < 1 || p > 4) return;
  x.opaque(MAX_COOKIE);
  if (p === 2 || p === 3) x.u32(); // block
  if (p !== 4) args.exclusive = x.u32() !== 0;
  const caller = x.string(MAX_NAME);
  x.opaque(MAX_FH);
  x.opaque(MAX_COOKIE); // owner handle
  const svid = x.u32();
  const offset = vers >= 4 ? x.u64() : x.u32();
  const len = vers >= 4 ? x.u64() : x.u32();
  if (!x.ok) return;
  args.caller = caller;
  args.svid = svid;
  args.offset = offset;
  args.length = len;
}

/** Replies of TEST..UNLOCK (and GRANTED) start with cookie, stat. */
export function decodeNlmReply(x: Xdr, proc: number): { code: number; name: string } | null {
  if (proc < 1 || proc > 5) return null;
  x.opaque(MAX_COOKIE);
  const stat = x.u32();
  if (!x.ok) return null;
  return { code: stat, name: NLM_STAT[stat] ?? `NLM_STAT_${stat}` };
}
