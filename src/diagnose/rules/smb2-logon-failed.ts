// smb2/logon-failed: SESSION_SETUP requests whose final response is an error (the user could not
// log on to the server), per (client, server, status). Severity:
// - 'error' when the client had no session with that server in the capture, before or after (the
//   mount or the mapped drive failed);
// - when it logged on after the refusals (another account, Kerberos then NTLM, a guest attempt
//   first): 'warning' for several refusals (each counts towards the account's lockout threshold),
//   'info' for one;
// - 'info' when it already held a session there and only further logons were refused (Windows
//   clients make anonymous logons beside the user's, which servers that restrict anonymous access
//   refuse; seen on the corpus capture smb3-multichannel-keepalive).

import type { AnalysedTrace } from '../../analysis/trace.js';
import { connectionOf } from '../../analysis/views.js';
import { evidenceFrames, type Finding, type Rule, type Severity } from '../finding.js';
import { setupFailures } from './smb2-setup.js';
import { connRef, fmtDuration } from './util.js';
import { formatEndpoint } from '../../wire/addr.js';

/** What a SESSION_SETUP status says about the logon, and what to do (MS-ERREF names). */
const MEANING: Record<string, { says: string; advice: string[] }> = {
  STATUS_LOGON_FAILURE: {
    says: 'the user name is unknown or the password is wrong (the server does not say which)',
    advice: [
      'Check the user name, domain and password the client uses (for a Linux mount: the username=, domain= and password= or credentials= options).',
      'Repeated refusals can lock the account out: fix the stored credentials before the next retry.',
    ],
  },
  STATUS_WRONG_PASSWORD: { says: 'the password is wrong', advice: ['Update the password stored on the client (credentials file, Windows Credential Manager).'] },
  STATUS_NO_SUCH_USER: { says: 'the account does not exist on the server or its domain', advice: ['Check the user name and the domain the client sends.'] },
  STATUS_ACCOUNT_LOCKED_OUT: {
    says: 'the account is locked out after too many failed logons',
    advice: ['Unlock the account, then find the client that keeps sending a stale password (this capture shows its address).'],
  },
  STATUS_ACCOUNT_DISABLED: { says: 'the account is disabled', advice: ['Enable the account or use another one.'] },
  STATUS_ACCOUNT_EXPIRED: { says: 'the account has expired', advice: ['Extend the account\'s expiry date or use another account.'] },
  STATUS_PASSWORD_EXPIRED: { says: 'the password has expired', advice: ['Change the password interactively, then update it wherever the client stores it.'] },
  STATUS_PASSWORD_MUST_CHANGE: { says: 'the password must be changed before the next logon', advice: ['Change the password interactively, then update it wherever the client stores it.'] },
  STATUS_ACCOUNT_RESTRICTION: { says: 'an account restriction refused the logon (a blank password, or a policy that forbids this kind of logon)', advice: ['Check the account\'s restrictions in the directory.'] },
  STATUS_INVALID_LOGON_HOURS: { says: 'the account may not log on at this time of day', advice: ['Check the account\'s logon hours.'] },
  STATUS_INVALID_WORKSTATION: { says: 'the account may not log on from this client (a workstation restriction or an authentication policy silo)', advice: ['Check the account\'s allowed workstations.'] },
  STATUS_LOGON_TYPE_NOT_GRANTED: { says: 'the account lacks the right to log on over the network to this server', advice: ['Grant "Access this computer from the network" to the account on the server, or check "Deny access" policies.'] },
  STATUS_NO_LOGON_SERVERS: { says: 'the server could not reach a domain controller to check the credentials', advice: ['Check the server\'s connectivity to its domain controllers.'] },
  STATUS_TRUSTED_RELATIONSHIP_FAILURE: { says: 'the trust between the server and the account\'s domain failed', advice: ['Repair the server\'s domain trust (secure channel).'] },
  STATUS_TIME_DIFFERENCE_AT_DC: { says: 'the clocks of the client and the domain controller are too far apart for Kerberos', advice: ['Synchronise the client\'s clock with the domain (Kerberos tolerates 5 minutes by default).'] },
  STATUS_ACCESS_DENIED: {
    says: 'the server refused the session (guest access disabled, signing or encryption required but not offered, or the user has no access to the server)',
    advice: ['Check the server\'s requirements for signing, encryption and guest access against what the client offers.'],
  },
  STATUS_NOT_SUPPORTED: { says: 'the server does not support the authentication mechanism the client offered', advice: ['Enable a mechanism both sides support (Kerberos or NTLMv2).'] },
  STATUS_NETWORK_SESSION_EXPIRED: { says: 'the session\'s Kerberos ticket expired and the re-authentication was refused', advice: ['Renew the ticket on the client; check that its clock is right.'] },
  STATUS_REQUEST_NOT_ACCEPTED: { says: 'the server accepts no more sessions (its connection or session limit is reached)', advice: ['Check the server\'s session limits and idle sessions.'] },
};

const DEFAULT_MEANING = { says: 'the server refused the logon', advice: ['Look at the server\'s security log for the refused logon at the time of the evidence frames.'] };

export const smb2LogonFailed: Rule<AnalysedTrace> = {
  id: 'smb2/logon-failed',
  run(trace) {
    return setupFailures(trace, 'SESSION_SETUP').map((g): Finding => {
      const e = g.first;
      const m = MEANING[g.status] ?? DEFAULT_MEANING;
      const severity: Severity = g.recoveredFrame !== 0 ? (g.count > 1 ? 'warning' : 'info') : g.heldFrame !== 0 ? 'info' : 'error';
      const server = formatEndpoint(e.server.addr, e.server.port);
      const span = e.requestNs !== null && g.lastRequestNs > e.requestNs ? Number(g.lastRequestNs - e.requestNs) / 1e9 : 0;
      const conn = g.streams.size === 1 ? connectionOf(trace, g.capture, [...g.streams][0]) : undefined;
      return {
        id: 'smb2/logon-failed',
        severity,
        summary: `${g.count} SMB2 logon${g.count === 1 ? '' : 's'} from ${e.client.addr} to ${server} refused with ${g.status} (first in frame ${e.responseFrame})` +
          (g.recoveredFrame ? `; a later logon succeeded (frame ${g.recoveredFrame}).`
            : g.heldFrame ? `; the client already had a session there (logged on in frame ${g.heldFrame}).`
              : '; the client did not log on to this server in the capture.'),
        explanation:
          `The server answered ${g.count === 1 ? 'a SESSION_SETUP' : `${g.count} SESSION_SETUP requests${span > 0 ? ` over ${fmtDuration(span)}` : ''}`} with ${g.status}: ${m.says}. ` +
          (g.heldFrame && !g.recoveredFrame ? ''
            : 'Without a session the client can open no share: a mount or mapped drive fails with a permission error ("mount error(13): Permission denied" on Linux, "The user name or password is incorrect" on Windows). ') +
          (g.recoveredFrame
            ? `A later SESSION_SETUP from the same client succeeded (frame ${g.recoveredFrame}), so it got in after all, with other credentials or another mechanism${g.count > 1 ? '; each refusal still counts towards the account\'s lockout threshold' : ''}.`
            : g.heldFrame
              ? `The client had logged on to this server before (frame ${g.heldFrame}), so these refusals concern further logons beside that session: another user, a re-authentication, or an anonymous or guest logon (Windows clients make those, and servers that restrict anonymous access refuse them). The session already held is not affected.`
              : `${g.streams.size > 1 ? `The client tried on ${g.streams.size} connections. ` : ''}No logon from this client to this server succeeded in the capture.`),
        ...(conn ? { connection: connRef(conn) } : {}),
        frames: evidenceFrames(g.frames),
        metrics: { refusals: g.count, status: g.status, client: e.client.addr, server, connections: g.streams.size, recovered: g.recoveredFrame ? 'yes' : 'no', ...(g.recoveredFrame ? { recovered_frame: g.recoveredFrame } : {}), ...(g.heldFrame ? { session_held_frame: g.heldFrame } : {}) },
        ...(severity === 'info' ? {} : { advice: m.advice }),
      };
    });
  },
};
