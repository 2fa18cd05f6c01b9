// smb2/error-replies: SMB2 responses whose status says the session, the share or the server is in
// trouble, rather than an ordinary answer (NO_MORE_FILES, OBJECT_NAME_NOT_FOUND, FILE_CLOSED ...
// are how a file server answers and are left out; failed logons and share connections are
// smb2/logon-failed's and smb2/tree-connect-failed's). One finding per (capture, server, status),
// with the commands that got it. A session that is gone (USER_SESSION_DELETED,
// NETWORK_SESSION_EXPIRED) is the reconnect case: every request on it fails until the client sets
// up a new session, and a client that does not is what users see as a hung mount: 'error' when
// no new session was set up in the RECOVERY_WAIT_NS the capture went on after the first refusal.

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionOf } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule, type Severity } from '../finding.js';
import { connRef, fmtDuration } from './util.js';
import { commandList, replyGroups, type ReplyGroup } from './reply-groups.js';
import { formatEndpoint } from '../../wire/addr.js';

interface Meaning {
  severity: Severity;
  says: string;
  advice: string[];
}

const SESSION_GONE: Meaning = {
  severity: 'warning',
  says: 'the session the request was sent on no longer exists on the server (it expired, was logged off, or the server restarted or failed over): every request on it fails until the client logs on again',
  advice: [
    'Check that the client set up a new session after this status (a SESSION_SETUP following it in the capture); a client that keeps sending on the dead session has a reconnect bug: update it.',
    'If sessions expire on a schedule, the Kerberos ticket lifetime or the server\'s session timeout is the clock.',
  ],
};

/** Statuses of other commands than SESSION_SETUP, TREE_CONNECT and LOGOFF that the rule reports. */
const MEANING: Record<string, Meaning> = {
  STATUS_USER_SESSION_DELETED: SESSION_GONE,
  STATUS_NETWORK_SESSION_EXPIRED: { ...SESSION_GONE, says: 'the session\'s authentication expired (its Kerberos ticket ran out): the client must re-authenticate the session before its requests are served' },
  STATUS_NETWORK_NAME_DELETED: {
    severity: 'warning',
    says: 'the share the request addressed was disconnected on the server (the share was removed, or the tree connection closed by the server): requests on it fail until the client connects to the share again',
    advice: ['Check whether the share was removed or restarted on the server at that time.'],
  },
  STATUS_INSUFFICIENT_RESOURCES: {
    severity: 'error',
    says: 'the server ran out of a resource to serve the request (memory, open handles, credits or work items)',
    advice: ['Look at the server\'s resources at that time: open handles per session, memory, and its event log for resource errors.'],
  },
  STATUS_DISK_FULL: { severity: 'error', says: 'the share\'s volume on the server is full: writes fail', advice: ['Free space on the server volume behind the share.'] },
  STATUS_IO_TIMEOUT: { severity: 'warning', says: 'the server\'s own I/O (its storage or a back end it forwards to) timed out', advice: ['Look at the server\'s storage and back ends at that time.'] },
};

const SETUP_COMMANDS = new Set(['SESSION_SETUP', 'TREE_CONNECT', 'LOGOFF']);

function sessionGone(status: string): boolean {
  return status === 'STATUS_USER_SESSION_DELETED' || status === 'STATUS_NETWORK_SESSION_EXPIRED';
}

/** A client that has not logged on again this long after its session was refused is not
 *  recovering by itself (Windows and Linux clients reconnect within seconds). */
export const RECOVERY_WAIT_NS = 10e9;

export const smb2ErrorReplies: Rule<AnalysedTrace> = {
  id: 'smb2/error-replies',
  run(trace) {
    const groups = replyGroups(trace, (e) => {
      if (e.protocol !== 'smb2' || SETUP_COMMANDS.has(e.command)) return null;
      const meaning = MEANING[e.status];
      return meaning === undefined ? null : { key: `${e.client.addr}|${e.server.addr}|${e.server.port}|${e.status}`, meaning };
    });
    // a session refused: did the client set up a new one with the server afterwards?
    const resetup = new Map<ReplyGroup<Meaning>, number>();
    for (const g of groups) {
      if (!sessionGone(g.first.status) || g.first.responseNs === null) continue;
      const cap = trace.captures[g.capture];
      for (let k = cap.exchangeStart; k < cap.exchangeEnd; k++) {
        const e = trace.exchanges[k];
        if (e.protocol !== 'smb2' || e.command !== 'SESSION_SETUP' || e.status !== 'STATUS_SUCCESS' || e.requestNs === null) continue;
        if (e.client.addr === g.first.client.addr && e.server.addr === g.first.server.addr && e.requestNs > g.first.responseNs) {
          resetup.set(g, e.requestFrame);
          break;
        }
      }
    }
    return groups.map((g) => finding(trace, g, resetup.get(g) ?? 0, trace.captures[g.capture].lastNs));
  },
};

function finding(trace: AnalysedTrace, g: ReplyGroup<Meaning>, resetupFrame: number, captureEndNs: bigint | null): Finding {
  const e = g.first;
  const cmds = commandList(g);
  const span = e.responseNs !== null && g.lastResponseNs > e.responseNs ? Number(g.lastResponseNs - e.responseNs) / 1e9 : 0;
  const conn = g.streams.size === 1 ? connectionOf(trace, g.capture, [...g.streams][0]) : undefined;
  const sessionCase = sessionGone(e.status);
  // a session refused and never set up again while the capture went on: the client is stuck
  const stuck = sessionCase && !resetupFrame && e.responseNs !== null && captureEndNs !== null && Number(captureEndNs - e.responseNs) >= RECOVERY_WAIT_NS;
  const server = formatEndpoint(e.server.addr, e.server.port);
  return {
    id: 'smb2/error-replies',
    severity: stuck ? 'error' : g.meaning.severity,
    summary: `${server} answered ${g.count} SMB2 request${g.count === 1 ? '' : 's'} from ${e.client.addr} with ${e.status} (first in frame ${e.responseFrame}${span >= 1 ? `, over ${fmtDuration(span)}` : ''}): ${cmds}` +
      (sessionCase ? (resetupFrame ? `; the client logged on again in frame ${resetupFrame}.` : '; the client did not log on again in the capture.') : '.'),
    explanation: `${e.status} means ${g.meaning.says}.` +
      (stuck ? ` No new SESSION_SETUP from this client succeeded in the ${fmtDuration(Number(captureEndNs! - e.responseNs!) / 1e9)} the capture went on: the client did not recover by itself, which users see as a hung share.` : ''),
    ...(conn ? { connection: connRef(conn) } : {}),
    frames: evidenceFrames(g.frames),
    metrics: { replies: g.count, status: e.status, commands: cmds, client: e.client.addr, server, ...(resetupFrame ? { logged_on_again_frame: resetupFrame } : {}) },
    advice: g.meaning.advice,
  };
}
