// The rules of `pcapdx diagnose`, listed explicitly (no registration side effects): each is a
// pure function of the analysed trace, in its own file.

import type { AnalysedTrace } from '../../analysis/trace.js';
import type { Rule } from '../finding.js';
import { captureMissingSegments } from './capture-missing-segments.js';
import { heartbeatDrift } from './heartbeat-drift.js';
import { heartbeatTimeoutTeardown } from './heartbeat-timeout-teardown.js';
import { icmpUnreachableForTcp } from './icmp-unreachable-for-tcp.js';
import { nfsErrorReplies } from './nfs-error-replies.js';
import { rpcCallRejected } from './rpc-call-rejected.js';
import { rpcRetransmissionDiffers } from './rpc-retransmission-differs.js';
import { rpcUnansweredCalls } from './rpc-unanswered-calls.js';
import { smb2ErrorReplies } from './smb2-error-replies.js';
import { smb2LogonFailed } from './smb2-logon-failed.js';
import { smb2TreeConnectFailed } from './smb2-tree-connect-failed.js';
import { tcpAckStall } from './tcp-ack-stall.js';
import { tcpBottleneckQueue } from './tcp-bottleneck-queue.js';
import { tcpChallengeAckOnSyn } from './tcp-challenge-ack-on-syn.js';
import { tcpConnectionRefused } from './tcp-connection-refused.js';
import { tcpConnectLatencyOutliers } from './tcp-connect-latency-outliers.js';
import { tcpHandshakeFailed } from './tcp-handshake-failed.js';
import { tcpKeepalive } from './tcp-keepalive.js';
import { tcpMiddleboxReset } from './tcp-middlebox-reset.js';
import { tcpResets } from './tcp-resets.js';
import { tcpRetransmissionDiffers } from './tcp-retransmission-differs.js';
import { tcpRetransmissions } from './tcp-retransmissions.js';
import { tcpSynackForOldIsn } from './tcp-synack-for-old-isn.js';
import { tcpSlowFirstResponse } from './tcp-slow-first-response.js';
import { tcpSynBurst } from './tcp-syn-burst.js';
import { tcpUnansweredSyn } from './tcp-unanswered-syn.js';
import { tcpZeroWindow } from './tcp-zero-window.js';
import { tcpZeroWindowStall } from './tcp-zero-window-stall.js';

export const RULES: readonly Rule<AnalysedTrace>[] = [
  // A: heartbeats
  heartbeatTimeoutTeardown, heartbeatDrift, tcpKeepalive,
  // B: reconnect SYN burst
  tcpSynBurst, tcpSynackForOldIsn, icmpUnreachableForTcp, tcpHandshakeFailed,
  // C: retransmissions with other bytes
  rpcRetransmissionDiffers, tcpRetransmissionDiffers,
  // D: challenge ACK, connect latency
  tcpChallengeAckOnSyn, tcpConnectLatencyOutliers,
  // general health
  tcpRetransmissions, tcpZeroWindowStall, tcpZeroWindow, tcpBottleneckQueue, tcpAckStall, tcpResets, tcpMiddleboxReset, tcpUnansweredSyn, rpcUnansweredCalls, captureMissingSegments,
  // refusals and errors: mounts, logons, shares and connections that failed
  rpcCallRejected, nfsErrorReplies, smb2LogonFailed, smb2TreeConnectFailed, smb2ErrorReplies, tcpConnectionRefused,
  // latency: where the time to a connection's first answer went
  tcpSlowFirstResponse,
];
