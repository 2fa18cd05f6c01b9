// nfs/error-replies: NFS and MOUNT replies whose status says something is wrong with the server,
// the export or the client's state, rather than an ordinary answer (NOENT for a name that does
// not exist, EXIST, NOTEMPTY ... are how a file system answers and are left out). One finding per
// (capture, server, status), with the procedures that got it. The statuses and what they mean:
// RFC 1813 2.6 (NFSv3 nfsstat3), RFC 7530 13 / RFC 8881 15 (NFSv4 nfsstat4), RFC 1813 5.1.5
// (mountstat3).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionOf } from '../../analysis/views.js';
import type { Exchange } from '../../protocols/types.js';
import { evidenceFrames, type Finding, type Rule, type Severity } from '../finding.js';
import { connRef, fmtDuration } from './util.js';
import { commandList, replyGroups, type ReplyGroup } from './reply-groups.js';

const PROG_NFS = 100003;
const PROG_MOUNT = 100005;

interface Meaning {
  severity: Severity;
  says: string;
  advice: string[];
}

const STATE_LOST: Meaning = {
  severity: 'warning',
  says: 'the server no longer knows the client\'s NFSv4 state (its lease expired while the client was silent, or the server restarted): the client must recover its client ID, session, opens and locks before I/O goes on, and applications wait meanwhile',
  advice: [
    'Check whether the server restarted at that time (its log) or the client was silent longer than the lease (90 s by default): a network outage or a hung client both let the lease expire.',
    'If the client keeps getting this status without recovering, update its NFS client: state recovery loops are client bugs.',
  ],
};

/** nfsstat codes (shared by v2, v3 and v4 where they exist) that the rule reports. */
const NFS_MEANING: Record<number, Meaning> = {
  5: { severity: 'error', says: 'the server\'s file system failed the operation with an I/O error (a disk or back-end storage fault)', advice: ['Look at the server\'s kernel log and storage for errors at that time.'] },
  28: { severity: 'error', says: 'the file system on the server is full: writes fail', advice: ['Free space on the exported file system (df on the server).'] },
  69: { severity: 'error', says: 'the user\'s disk quota on the server is exhausted: writes fail', advice: ['Raise or clean up the user\'s quota on the server (quota -v, repquota).'] },
  30: { severity: 'warning', says: 'the export is read-only (or the file system was remounted read-only after an error): writes fail', advice: ['Check the export options (rw/ro) and whether the server remounted the file system read-only after an error (its kernel log).'] },
  70: {
    severity: 'warning',
    says: 'the file handle no longer names a file on the server ("Stale file handle"): the file was removed by someone else, or the export changed identity (another file system or fsid behind the same path, a fail-over to a server that exports it differently)',
    advice: [
      'If many handles went stale at once, the export changed: give it a stable fsid= in /etc/exports and remount the clients.',
      'A single stale handle after another client removed the file is normal; an application that keeps it open should reopen it.',
    ],
  },
  10001: { severity: 'warning', says: 'the server could not make sense of the file handle (BADHANDLE): a handle from another server or a corrupted one', advice: ['Remount the client; check that the client talks to the server that issued its handles.'] },
  10006: { severity: 'error', says: 'the server failed internally handling the request (SERVERFAULT)', advice: ['Look at the server\'s log for the failure at that time.'] },
  10008: {
    severity: 'warning',
    says: 'the server asked the client to retry later (NFS3ERR_JUKEBOX / NFS4ERR_DELAY): a file being recalled from tape or an HSM tier, a delegation being recalled from another client, or an overloaded server; each one makes the client back off for seconds, which users see as a hang',
    advice: ['Find what the server waited for: an HSM recall, a conflicting delegation held by another client (its callback), or server load.'],
  },
  10013: {
    severity: 'warning',
    says: 'the server is in its grace period after a restart (90 s by default on Linux): clients may only reclaim the state they held; new opens and locks wait until it ends',
    advice: ['Expect up to the grace period of waiting after a server restart; shorten it on the server (nfsd grace time) if clients do not need that long to reclaim.'],
  },
  10011: STATE_LOST,
  10022: STATE_LOST,
  10023: STATE_LOST,
  10052: STATE_LOST,
};

/** mountstat3 codes: a refused mount. */
const MOUNT_MEANING: Record<number, Meaning> = {
  13: {
    severity: 'error',
    says: 'the server refused to export the path to this client ("access denied by server while mounting"): the client\'s address or name does not match the export\'s client list, or the export needs a secure (reserved) source port',
    advice: ['Check the export\'s client list on the server (exportfs -v) against the client\'s address as the server sees it (NAT, a second interface), and the insecure/secure port option.'],
  },
  1: { severity: 'error', says: 'the server refused the mount (MNT3ERR_PERM): the client is not allowed to mount this path', advice: ['Check the export\'s client list and options on the server (exportfs -v).'] },
  2: { severity: 'error', says: 'the path does not exist on the server, or is not exported (MNT3ERR_NOENT)', advice: ['Check the path against the server\'s exports (showmount -e SERVER).'] },
  20: { severity: 'error', says: 'the path is not a directory (MNT3ERR_NOTDIR)', advice: ['Mount a directory.'] },
};

/** The meaning of a program-level status (the RPC layer's own refusals, whose statusCode is the
 *  accept_stat, are rpc/call-rejected's). */
function meaningOf(e: Exchange): Meaning | undefined {
  if (e.program === PROG_MOUNT) return e.procedure === 1 && e.status.startsWith('MNT_') ? MOUNT_MEANING[e.statusCode] : undefined;
  return e.status.startsWith('NFS') ? NFS_MEANING[e.statusCode] : undefined;
}

export const nfsErrorReplies: Rule<AnalysedTrace> = {
  id: 'nfs/error-replies',
  run(trace) {
    const groups = replyGroups(trace, (e) => {
      if (e.protocol !== 'rpc' || (e.program !== PROG_NFS && e.program !== PROG_MOUNT) || e.statusCode <= 0) return null;
      const meaning = meaningOf(e);
      return meaning === undefined ? null : { key: `${e.server.addr}|${e.program}|${e.status}`, meaning };
    });
    return groups.map((g) => finding(trace, g));
  },
};

function finding(trace: AnalysedTrace, g: ReplyGroup<Meaning>): Finding {
  const e = g.first;
  const cmds = commandList(g);
  const span = e.responseNs !== null && g.lastResponseNs > e.responseNs ? Number(g.lastResponseNs - e.responseNs) / 1e9 : 0;
  const conn = g.streams.size === 1 ? connectionOf(trace, g.capture, [...g.streams][0]) : undefined;
  return {
    id: 'nfs/error-replies',
    severity: g.meaning.severity,
    summary: `${e.server.addr} answered ${g.count} ${e.service} call${g.count === 1 ? '' : 's'} from ${g.clients.size === 1 ? e.client.addr : `${g.clients.size} clients`} with ${e.status} (first in frame ${e.responseFrame}${span >= 1 ? `, over ${fmtDuration(span)}` : ''}): ${cmds}.`,
    explanation: `${e.status} means ${g.meaning.says}. ` +
      (g.count > 1 ? `The status came back ${g.count} times${g.streams.size > 1 ? ` on ${g.streams.size} connections` : ''}; the first request was frame ${e.requestFrame}.` : `The request was frame ${e.requestFrame}.`),
    ...(conn ? { connection: connRef(conn) } : {}),
    frames: evidenceFrames(g.frames),
    metrics: { replies: g.count, status: e.status, service: e.service, procedures: cmds, clients: g.clients.size, server: e.server.addr },
    advice: g.meaning.advice,
  };
}
