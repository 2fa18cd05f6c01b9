// smb2/tree-connect-failed: TREE_CONNECT requests (opening a share) whose response is an error,
// per (client, server, status). 'error' when the client never connected to a share of that server
// afterwards in the capture; 'info' when it did (a client that probes a share name before the
// right one, or retries after reconnecting its session).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionOf } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule, type Severity } from '../finding.js';
import { setupFailures } from './smb2-setup.js';
import { connRef } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

const MEANING: Record<string, { says: string; advice: string[] }> = {
  STATUS_BAD_NETWORK_NAME: {
    says: 'no share of that name exists on the server (a typing error in the share name, a share removed or renamed, or a DFS path sent to a server that does not host it)',
    advice: ['Check the share name against the server\'s list of shares (smbclient -L SERVER, or net share on the server).'],
  },
  STATUS_ACCESS_DENIED: {
    says: 'the user may not open this share (the share\'s permissions, or a server that requires encryption for it)',
    advice: ['Check the share\'s permissions for the user, and whether the share requires encryption the client did not negotiate (SMB 3.x).'],
  },
  STATUS_NETWORK_ACCESS_DENIED: { says: 'network access to this share is denied for the user', advice: ['Check the share\'s permissions for the user.'] },
  STATUS_USER_SESSION_DELETED: {
    says: 'the session the request was sent on no longer exists on the server (it was logged off, expired, or the server restarted)',
    advice: ['The client must set up a new session first; if it keeps reusing the dead session, that is a client reconnect bug: update the client.'],
  },
  STATUS_NETWORK_SESSION_EXPIRED: { says: 'the session\'s authentication expired and must be renewed before the share can be opened', advice: ['Renew the Kerberos ticket on the client and check its clock.'] },
  STATUS_REQUEST_NOT_ACCEPTED: { says: 'the server accepts no more connections to shares (a connection limit is reached)', advice: ['Check the server\'s connection limits and idle connections.'] },
};

/** Statuses that say the session, not the share, is the problem. */
const SESSION_GONE = new Set(['STATUS_USER_SESSION_DELETED', 'STATUS_NETWORK_SESSION_EXPIRED']);

const DEFAULT_MEANING = { says: 'the server refused to open the share', advice: ['Look at the server\'s log for the refused share connection.'] };

export const smb2TreeConnectFailed: Rule<AnalysedTrace> = {
  id: 'smb2/tree-connect-failed',
  run(trace) {
    return setupFailures(trace, 'TREE_CONNECT').map((g): Finding => {
      const e = g.first;
      const m = MEANING[g.status] ?? DEFAULT_MEANING;
      const severity: Severity = g.recoveredFrame === 0 ? 'error' : 'info';
      const server = formatEndpoint(e.server.addr, e.server.port);
      const path = typeof e.args.path === 'string' ? e.args.path : '';
      const conn = g.streams.size === 1 ? connectionOf(trace, g.capture, [...g.streams][0]) : undefined;
      return {
        id: 'smb2/tree-connect-failed',
        severity,
        summary: `${g.count} SMB2 share connection${g.count === 1 ? '' : 's'} from ${e.client.addr} to ${server}${path ? ` (${JSON.stringify(path)})` : ''} refused with ${g.status} (first in frame ${e.responseFrame})` +
          (g.recoveredFrame ? `; a later one succeeded (frame ${g.recoveredFrame}).` : '; the client opened no share on this server afterwards in the capture.'),
        explanation:
          `The server answered TREE_CONNECT${path ? ` for ${JSON.stringify(path)}` : ''} with ${g.status}: ${m.says}. ` +
          (SESSION_GONE.has(g.status)
            ? 'The request went out on a session the server no longer holds, so every request on it fails the same way until the client logs on again. '
            : 'The logon had succeeded; it is the share that could not be opened, so the mount or drive mapping fails although the credentials are good. ') +
          (g.recoveredFrame ? `A later TREE_CONNECT from the same client to this server succeeded (frame ${g.recoveredFrame}).` : 'No later TREE_CONNECT from this client to this server succeeded in the capture.'),
        ...(conn ? { connection: connRef(conn) } : {}),
        frames: evidenceFrames(g.frames),
        metrics: { refusals: g.count, status: g.status, client: e.client.addr, server, ...(path ? { path } : {}), recovered: g.recoveredFrame ? 'yes' : 'no', ...(g.recoveredFrame ? { recovered_frame: g.recoveredFrame } : {}) },
        ...(severity === 'info' ? {} : { advice: m.advice }),
      };
    });
  },
};
