// rpc/call-rejected: ONC RPC calls the server refused at the RPC layer, before the program ran
// (RFC 5531 section 9): MSG_DENIED replies (AUTH_ERROR with its auth_stat, RPC_MISMATCH) and
// MSG_ACCEPTED replies whose accept_stat is not SUCCESS (PROG_UNAVAIL, PROG_MISMATCH,
// PROC_UNAVAIL, GARBAGE_ARGS, SYSTEM_ERR). A failed NFS mount often shows nothing else on the
// wire: the client's COMPOUND or MNT call comes back AUTH_ERROR(AUTH_TOOWEAK) and the client
// closes the connection.
//
// Calls are grouped per (client, server, program, version, status). Severity:
// - 'error' when the client never got a call of that program through to that server afterwards
//   (the mount or the service it wanted failed);
// - 'info' when it did (a version or ACL probe the client recovered from: Linux clients ask for
//   NFS_ACL and for NFSv4 before falling back, and a server without them answers PROG_UNAVAIL or
//   PROG_MISMATCH), and for NULL-procedure pings that were refused;
// - 'warning' for GARBAGE_ARGS and SYSTEM_ERR (the server could not decode the arguments, or
//   failed inside), which say something is wrong even when later calls succeed.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionOf } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule, type Severity } from '../finding.js';
import { connRef, fmtDuration } from './util.js';
import { replyGroups, type ReplyGroup } from './reply-groups.js';

/** accept_stat values other than SUCCESS, and the reject_stat RPC_MISMATCH, as the RPC layer
 *  names them (protocols/rpc/message.ts replyStatusName); AUTH_ERROR(...) is matched by prefix. */
/** NFS_ACL, the side program for POSIX ACLs over NFSv2/v3 that Linux clients probe for. */
const PROG_NFS_ACL = 100227;

const REFUSALS = new Set(['PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR', 'RPC_MISMATCH']);

export function isRpcRefusal(status: string): boolean {
  return REFUSALS.has(status) || status.startsWith('AUTH_ERROR(') || status.startsWith('accept_stat_');
}

/** What each refusal means, in a sentence, and what to do about it. */
const MEANING: Record<string, { says: string; advice: string[] }> = {
  AUTH_TOOWEAK: {
    says: 'the server refused the credential flavour the client offered as too weak: the export (or, for NFSv4, the server\'s security policy for this path) requires a stronger one such as Kerberos (sec=krb5, krb5i or krb5p)',
    advice: [
      'Mount with a security flavour the export allows (mount -o sec=krb5 ..., with a valid Kerberos ticket and keytab on the client), or add sec=sys to the export\'s options on the server if AUTH_SYS is acceptable there (exportfs -v shows the current options).',
      'On an NFSv4 server, check the sec= list of the pseudo-root and of every export on the path: the client is refused at the first one that does not allow its flavour.',
    ],
  },
  AUTH_BADCRED: {
    says: 'the server rejected the client\'s credential as malformed or with a broken seal (AUTH_SYS with too many groups, or a corrupted RPCSEC_GSS credential)',
    advice: ['Check the client\'s credential: an AUTH_SYS credential may carry at most 16 supplementary groups; for Kerberos, renew the ticket and remount.'],
  },
  AUTH_REJECTEDCRED: {
    says: 'the server no longer accepts the client\'s credential and asks it to start a new session (for RPCSEC_GSS: the context is unknown to the server, typically after a server restart)',
    advice: ['The client should establish a new security context by itself; if the refusals repeat, restart the client\'s gssd or remount.'],
  },
  AUTH_BADVERF: { says: 'the server rejected the call\'s verifier (a corrupted or replayed RPCSEC_GSS checksum)', advice: ['Check for clock skew between client and KDC and for a middlebox altering packets.'] },
  AUTH_REJECTEDVERF: { says: 'the server rejected the call\'s verifier as expired or replayed', advice: ['Check the clocks of client, server and KDC (Kerberos tolerates 5 minutes of skew by default).'] },
  AUTH_FAILED: { says: 'the server refused the credential for a reason it did not say', advice: ['Look at the server\'s log for the refused client: the reason is only there.'] },
  RPCSEC_GSS_CREDPROBLEM: {
    says: 'the server could not use the client\'s Kerberos credential (no valid ticket for the user, or an expired one)',
    advice: ['Renew the user\'s Kerberos ticket (kinit) and check that the client\'s keytab holds a key for its nfs/ principal.'],
  },
  RPCSEC_GSS_CTXPROBLEM: {
    says: 'the server does not know (or no longer accepts) the RPCSEC_GSS security context of the call: it expired or the server restarted',
    advice: ['The client should create a new context; if refusals repeat, renew the tickets and restart the client\'s gssd.'],
  },
  RPC_MISMATCH: { says: 'the server does not speak the RPC protocol version of the call (only version 2 exists)', advice: ['The sender is not a real RPC client, or the stream is misframed: check what sends to this port.'] },
  PROG_UNAVAIL: {
    says: 'the server does not serve this RPC program at this address (the service is not running or not registered with rpcbind, or it was disabled)',
    advice: ['Check that the service runs on the server and is registered (rpcinfo -p SERVER lists the programs and versions served).'],
  },
  PROG_MISMATCH: {
    says: 'the server serves the program, but not this version of it (an NFSv4 mount against a server without v4, or the reverse)',
    advice: ['Mount with a version the server offers (mount -o vers=3 or vers=4.1), or enable that version on the server (rpcinfo -p SERVER lists the versions served).'],
  },
  PROC_UNAVAIL: { says: 'the server serves the program and version, but not this procedure', advice: ['The client uses a procedure the server does not implement: check client and server versions.'] },
  GARBAGE_ARGS: {
    says: 'the server could not decode the call\'s arguments: a client or server XDR bug, or bytes altered on the way',
    advice: ['Compare the call in the evidence with the protocol specification; if it is well formed, the server has a decoding bug.'],
  },
  SYSTEM_ERR: { says: 'the server failed inside while handling the call (memory allocation or a similar internal error)', advice: ['Look at the server\'s log and resources at the time of the evidence frames.'] },
};

function meaningOf(status: string): { says: string; advice: string[] } {
  const inner = /^AUTH_ERROR\((.*)\)$/.exec(status);
  return MEANING[inner ? inner[1] : status] ?? { says: `the server refused the call (${status})`, advice: ['Look at the server\'s log for the refused calls.'] };
}

export const rpcCallRejected: Rule<AnalysedTrace> = {
  id: 'rpc/call-rejected',
  run(trace) {
    const groups = replyGroups(trace, (e) => (e.protocol === 'rpc' && isRpcRefusal(e.status)
      ? { key: `${e.client.addr}|${e.server.addr}|${e.program}|${e.version}|${e.status}`, meaning: null }
      : null));
    // did the client get a call of the same program through to the same server after the last
    // refusal (any version: falling back from v4 to v3 is getting through)?
    const recovered = new Map<ReplyGroup<null>, number>();
    for (const g of groups) {
      const cap = trace.captures[g.capture];
      for (let k = cap.exchangeStart; k < cap.exchangeEnd; k++) {
        const e = trace.exchanges[k];
        if (e.protocol !== 'rpc' || e.kind !== 'pair' || e.requestNs === null || e.requestNs <= g.lastRequestNs || isRpcRefusal(e.status)) continue;
        if (g.first.program === e.program && g.first.client.addr === e.client.addr && g.first.server.addr === e.server.addr) {
          recovered.set(g, e.requestFrame);
          break;
        }
      }
    }
    return groups.map((g) => finding(trace, g, recovered.get(g) ?? 0));
  },
};

function finding(trace: AnalysedTrace, g: ReplyGroup<null>, recoveredFrame: number): Finding {
  const recovered = recoveredFrame > 0;
  const e = g.first;
  const status = e.status;
  const m = meaningOf(status);
  const broken = status === 'GARBAGE_ARGS' || status === 'SYSTEM_ERR';
  const severity: Severity = broken ? 'warning' : recovered || g.nullOnly ? 'info' : 'error';
  const ops = typeof e.args.ops === 'string' && e.args.ops ? ` (${e.args.ops})` : '';
  const what = `${g.count} ${e.service} ${e.command}${ops} call${g.count === 1 ? '' : 's'}`;
  const outcome = recovered
    ? `; a later ${e.service.replace(/v\d+$/, '')} call was accepted (frame ${recoveredFrame}).`
    : `; no later call of this program from the client was accepted in the capture.`;
  const conn = g.streams.size === 1 ? connectionOf(trace, g.capture, [...g.streams][0]) : undefined;
  const span = g.lastRequestNs > 0n && e.requestNs !== null ? Number(g.lastRequestNs - e.requestNs) / 1e9 : 0;
  return {
    id: 'rpc/call-rejected',
    severity,
    summary: `${what} from ${e.client.addr} to ${e.server.addr} refused with ${status} at the RPC layer (first in frame ${e.responseFrame})${outcome}`,
    explanation:
      `The server answered ${g.count === 1 ? 'the call' : `each of the ${g.count} calls${span >= 1 ? ` (over ${fmtDuration(span)})` : ''}`} with ${status} instead of running it, which means ${m.says}. ` +
      'A refusal at the RPC layer comes before the program sees the call, so no NFS or MOUNT status is returned' +
      (severity === 'error' ? '; the client reports it as a permission or protocol error (mount.nfs: "access denied by server" or "requested NFS version or transport protocol is not supported"). ' : '. ') +
      (recovered
        ? 'The client got through afterwards, so this cost a round trip rather than the service: ' + (g.nullOnly ? 'a ping or probe of a program the server does not offer is normal client behaviour.' : 'it fell back to what the server accepts.')
        : g.nullOnly
          ? 'Only NULL pings were refused: a client probing whether the server offers the program' +
            (e.program === PROG_NFS_ACL ? ' (Linux NFSv3 clients ask for NFS_ACL this way and work without POSIX ACLs over NFS when it is missing).' : '.')
          : 'The client got nothing of this program through afterwards: whatever it was trying to do (mount, lock, the file operation) failed.'),
    ...(conn ? { connection: connRef(conn) } : {}),
    frames: evidenceFrames(g.frames),
    metrics: {
      calls: g.count, status, service: e.service, procedure: e.command, client: e.client.addr, server: e.server.addr,
      recovered: recovered ? 'yes' : 'no', ...(recovered ? { recovered_frame: recoveredFrame } : {}),
    },
    ...(severity === 'info' ? {} : { advice: m.advice }),
  };
}
