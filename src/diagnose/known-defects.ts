// Known defects that the incidents of INCIDENTS.md trace back to, as data. Each states only what
// the original write-ups (../shared/seeds) and INCIDENTS.md establish: the fix commit, which
// versions are affected as far as the write-ups say, and the wire fact that tells a fixed kernel
// from an unfixed one. Rules attach one of these to a finding when the evidence matches.

export interface KnownDefect {
  /** stable identifier, kebab-case */
  id: KnownDefectId;
  /** short name as a person would say it */
  name: string;
  /** component, e.g. "Linux CIFS client" */
  component: string;
  /** the upstream commit that fixes it (abbreviated to 12 hex digits, as kernel changelogs cite) */
  fixCommit: string;
  /** the fix commit's subject line */
  fixTitle: string;
  /** affected versions, as precisely as the sources allow */
  affectedVersions: string;
  /** the first fixed versions, when the sources name them */
  fixedIn?: string;
  /** how a capture tells a fixed kernel from an unfixed one */
  tell: string;
  /** workarounds and fixes, most useful first */
  advice: string[];
  /** where the facts come from */
  references: string[];
}

export const KNOWN_DEFECT_IDS = ['linux-cifs-echo-race', 'linux-sunrpc-reconnect-syn-burst', 'linux-tcp-finack-race'] as const;
export type KnownDefectId = (typeof KNOWN_DEFECT_IDS)[number];

export const KNOWN_DEFECTS: Readonly<Record<KnownDefectId, KnownDefect>> = {
  // Incident A (seed 000): the echo worker skips an echo when a response was seen less than
  // (echo_interval - 1 s) ago and schedules itself daisy-chained, so after traffic shortly after
  // an echo the next echo comes later than 2 x echo_interval after the last response, and
  // server_unresponsive() (2 x echo_interval, since 2012) tears the connection down.
  'linux-cifs-echo-race': {
    id: 'linux-cifs-echo-race',
    name: 'Linux CIFS echo scheduling race',
    component: 'Linux CIFS/SMB client (cifs.ko)',
    fixCommit: 'f2caf901c1b7',
    fixTitle: 'cifs: Fix a race condition with cifs_echo_request',
    affectedVersions:
      'Linux kernels whose server_unresponsive() times out at 2 x echo_interval (the change of February 2012) and that lack f2caf901c1b7',
    tell: 'the client gives up 2 x echo_interval after the last response it received on an unfixed kernel, 3 x echo_interval on a fixed one',
    advice: [
      'Run a client kernel that contains upstream commit f2caf901c1b7 ("cifs: Fix a race condition with cifs_echo_request").',
      'Until then, mount with a larger echo_interval (the default is 60 s); the reconnect then comes later and less often.',
      'The server and the network are not at fault: every request was answered and nothing was lost.',
    ],
    references: [
      'https://github.com/torvalds/linux/commit/f2caf901c1b7ce65f9e6aef4217e3241039db768',
      'https://bugzilla.kernel.org/show_bug.cgi?id=202611',
    ],
  },
  // Incident B (seed 002): after an idle NFS/NLM connection drops, the RPC client starts several
  // connects on one socket port (SO_REUSEPORT), so several SYNs with different ISNs leave within
  // a millisecond; the server answers one, and the client (its conntrack, or its TCP) rejects the
  // SYN-ACK because it acknowledges a superseded ISN.
  'linux-sunrpc-reconnect-syn-burst': {
    id: 'linux-sunrpc-reconnect-syn-burst',
    name: 'Linux SUNRPC reconnect regression (parallel SYNs from one source port)',
    component: 'Linux SUNRPC client transport (NFS, lockd/NLM)',
    fixCommit: '0fdea1e8a285',
    fixTitle: 'SUNRPC: Ensure that we wait for connections to complete before retrying',
    affectedVersions: 'Red Hat Enterprise Linux 6.9 kernels 2.6.32-696.el6 up to, but not including, 2.6.32-696.6.3.el6',
    fixedIn: 'RHEL 6 kernel-2.6.32-696.6.3.el6 (RHSA-2017:1723, bz1450850)',
    tell: 'an unfixed client sends two to four SYNs from the same source port with different ISNs within a millisecond when it reconnects; a fixed client sends one SYN and retransmits it with the same ISN',
    advice: [
      'Update the client kernel to 2.6.32-696.6.3.el6 or later (the fix is upstream commit 0fdea1e8a285).',
      'Or boot a kernel older than 2.6.32-696.el6.',
      'As a stop-gap: stopping iptables on the client lets the connection complete, but the problem can come back and can occur without iptables.',
      'Keeping the NFS/lockd connections from going idle, or NFSv4.x, makes it rarer but is not fully reliable.',
    ],
    references: ['Red Hat solution for bz1450850 (seed 002)', 'https://github.com/torvalds/linux/commit/0fdea1e8a2853f79d39b8555cc9de16a7e0ab26f'],
  },
  // Incident D (seed 004): the server processes the client's RST before the ACK that precedes it,
  // ignores the RST and stays in FIN_WAIT_2; when the client reuses the port, the server answers
  // the new SYN with an ACK for the old connection; the client RSTs and re-sends the SYN after
  // its initial retransmission timeout.
  'linux-tcp-finack-race': {
    id: 'linux-tcp-finack-race',
    name: 'Linux TCP FIN/ACK processing race (SYN answered by a challenge ACK)',
    component: 'Linux TCP (server side leaves a stale FIN_WAIT_2 socket; client side re-sends the SYN)',
    fixCommit: '9603d47bad46',
    fixTitle: 'tcp: Reduce SYN resend delay if a suspicous ACK is received',
    affectedVersions: 'Linux clients without 9603d47bad46 wait their initial retransmission timeout (1 s) before re-sending the SYN',
    tell: 'after the challenge ACK and its RST, an unfixed client re-sends the SYN about 1 s later, a fixed one about 10 ms later',
    advice: [
      'Run client kernels that contain upstream commit 9603d47bad46; the spike then shrinks from about 1 s to about 10 ms.',
      'Nothing was lost in the network: the delay is the client waiting out its SYN timer after the server answered with an ACK for the old connection.',
    ],
    references: ['LKML report "latency spikes" with reproducer (seed 004): 397 spikes of about 1 s among 2,744,124 connections'],
  },
};

export function knownDefect(id: KnownDefectId): KnownDefect {
  return KNOWN_DEFECTS[id];
}
