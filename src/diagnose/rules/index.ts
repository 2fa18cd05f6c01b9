// The rules of `pcapdx diagnose`, listed explicitly (no registration side effects): each is a
// pure function of the analysed trace, in its own file.

import type { AnalysedTrace } from '../../analysis/trace.js';
import type { Rule } from '../finding.js';
import { captureMissingSegments } from './capture-missing-segments.js';
import { heartbeatDrift } from './heartbeat-drift.js';
import { heartbeatTimeoutTeardown } from './heartbeat-timeout-teardown.js';
import { icmpUnreachableForTcp } from './icmp-unreachable-for-tcp.js';
import { rpcRetransmissionDiffers } from './rpc-retransmission-differs.js';
import { rpcUnansweredCalls } from './rpc-unanswered-calls.js';
import { tcpChallengeAckOnSyn } from './tcp-challenge-ack-on-syn.js';
import { tcpConnectLatencyOutliers } from './tcp-connect-latency-outliers.js';
import { tcpHandshakeFailed } from './tcp-handshake-failed.js';
import { tcpKeepalive } from './tcp-keepalive.js';
import { tcpResets } from './tcp-resets.js';
import { tcpRetransmissionDiffers } from './tcp-retransmission-differs.js';
import { tcpRetransmissions } from './tcp-retransmissions.js';
import { tcpSynackForOldIsn } from './tcp-synack-for-old-isn.js';
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
  tcpRetransmissions, tcpZeroWindowStall, tcpZeroWindow, tcpResets, tcpUnansweredSyn, rpcUnansweredCalls, captureMissingSegments,
];
