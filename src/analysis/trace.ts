// The analysed trace: the one product every diagnosis rule reads. Plain data only (no bytes, no
// live tracker objects), built in one streaming pass by analyse.ts. Every list here is bounded
// by a named limit, and what a limit dropped is counted in `dropped`, so a 20 GB capture yields
// a trace of bounded size and the rules can say when they saw only part of it.

import type { CaptureInfo, CaptureIssue, CaptureIssueCode } from '../capture/types.js';
import type { WireIssueCode } from '../wire/packet.js';
import type { ConnRecord, TrackerStats } from '../tcp/tracker.js';
import type { LabelName } from '../tcp/labels.js';
import type { Exchange } from '../protocols/types.js';
import type { ConnectLatencyFacts } from './connect-latency.js';
import type { PayloadDiff, RetentionStats } from './payload-ring.js';
import type { SegmentStore } from './segment-store.js';
import type { ConnFactTable } from './kept.js';

export type { ConnectLatencyFacts } from './connect-latency.js';
export type { RetentionStats } from './payload-ring.js';

/** Connections kept in full (with their key segments). Beyond it, only connections that show
 *  something a rule can use (a label, a reset, an unfinished handshake) are kept, up to twice
 *  the bound; the rest are counted. */
export const MAX_CONNECTIONS_KEPT = 100_000;
/** Key segments kept per connection: the first ones (handshake and start), every SYN/FIN/RST or
 *  labelled one up to this many in all, and the last few (how it ended). Enough to draw the
 *  ladder of any finding; a connection's bulk data is summarised, not kept. */
export const KEY_SEGMENTS_FIRST = 16;
export const KEY_SEGMENTS_MARKED = 48;
/** Marked rows beyond KEY_SEGMENTS_MARKED kept for SYN, FIN and RST segments only: a connection
 *  whose labelled segments (hundreds of window_full, say) used up the marked rows still keeps how
 *  it ended; without them its first reset could fall between the marked rows and the last ones
 *  (corpus window-full-ftp-upload-failed: 611 labelled segments, then 9 resets). */
export const KEY_SEGMENTS_FLAGGED = 16;
export const KEY_SEGMENTS_LAST = 8;
/** Request/response pairs kept in full; service response times are aggregated over all of them. */
export const MAX_EXCHANGES_KEPT = 200_000;
/** ICMP errors kept in full. */
export const MAX_ICMP_ERRORS_KEPT = 10_000;
/** TCP retransmissions whose bytes differ from the first transmission, kept in full. */
export const MAX_TCP_DATA_DIFFS_KEPT = 1_000;

/** One TCP segment as a rule or a ladder diagram needs it. */
export interface SegmentFact {
  frame: number;
  /** absolute capture time, ns since the epoch */
  ns: bigint;
  /** 0 = sent by the connection's originator, 1 = by the responder */
  dir: 0 | 1;
  flags: number;
  seq: number;
  ack: number;
  /** payload length on the wire */
  len: number;
  /** raw window field */
  win: number;
  /** Wireshark label bits (tcp/labels.ts) */
  labels: number;
  /** keep-alive style when a keep_alive: 1 zero-byte (Linux), 2 one-byte (Windows) */
  keepAliveStyle: number;
  /** IPv4 identification; -1 for IPv6 */
  ipId: number;
}

export interface ConnectionFacts extends ConnRecord {
  /** capture (index into AnalysedTrace.captures) this connection was seen in */
  capture: number;
  /** built from `segments` on first use (src/analysis/kept.ts) */
  keySegments: SegmentFact[];
  /** absolute time (ns) of the capture's first frame: a row's time is baseNs + its relative time */
  readonly baseNs: bigint;
  /** the key segments are rows [keyRowStart, keyRowEnd) of AnalysedTrace.segments, in frame order */
  keyRowStart: number;
  keyRowEnd: number;
  /** segments not kept because the connection had more than the key-segment bounds */
  readonly segmentsOmitted: number;
  /** Wireshark label counts on this connection */
  labelCounts: Partial<Record<LabelName, number>>;
  readonly keepAlives: { zeroByte: number; oneByte: number };
  readonly health: ConnHealth;
  /** the handshake: first SYN of the originator's ISN and the SYN-ACK acknowledging it; null
   *  when either was not seen */
  readonly connect: { synFrame: number; synNs: bigint; synAckFrame: number; synAckNs: bigint; /** synAckNs - synNs */ setupNs: number } | null;
  /** connect.setupNs (null when connect is null), without building the connect object */
  readonly setupNs: number | null;
  /** a sender that filled the receiver's window (Wireshark's window_full): null when none did */
  readonly fullWindow: FullWindowFacts | null;
  /** the first RST of a direction that arrived with another TTL (hop limit) than that direction's
   *  first segment that was not a RST (the originator's direction first); null when none did */
  readonly oddResetTtl: OddResetTtl | null;
  /** waits for a delayed ACK (analyse.ts noteStall); null when there were none */
  readonly ackStalls: AckStallFacts | null;
}

/** A sender that waited for its peer's ACK before sending more, and a peer that delayed that ACK:
 *  the waits counted on the connection (either direction; the first one's direction and frames). */
export interface AckStallFacts {
  /** the waiting sender of the first stall: 0 the originator, 1 the responder */
  dir: 0 | 1;
  stalls: number;
  /** the waits beyond the handshake's round trip, summed and the longest, ns */
  totalNs: number;
  maxNs: number;
  /** payload bytes of the segments the late ACKs released */
  releasedBytes: number;
  /** the first stall: the data segment, the peer's late ACK of it, the segment that ACK released */
  dataFrame: number;
  ackFrame: number;
  releaseFrame: number;
}

/** A RST whose TTL differs from its sender's other packets: `dir` is the direction it claims to
 *  come from (0 = the originator), `ttl` its TTL, `senderTtl` the TTL of that direction's first
 *  segment that was not a RST. */
export interface OddResetTtl {
  dir: 0 | 1;
  frame: number;
  ttl: number;
  senderTtl: number;
}

/** The direction of a connection whose data filled the receiver's advertised window (the one with
 *  the most window_full segments), and the round trips of that data from the first window_full on:
 *  Wireshark's ack_rtt on the peer's ACKs, as the capture point measures them (from there to the
 *  receiver and back, plus any queue past the capture point). */
export interface FullWindowFacts {
  /** 0: the originator's data, 1: the responder's */
  dir: 0 | 1;
  /** segments of that direction labelled window_full, and the first one's frame */
  fullSegments: number;
  firstFullFrame: number;
  /** round-trip samples, their mean and the largest (with its ACK's frame); 0 samples: none */
  rttSamples: number;
  rttMeanNs: number;
  rttMaxNs: number;
  rttMaxFrame: number;
}

/** Per-connection health counters, computed for every segment (not only the key segments). */
export interface ConnHealth {
  /** segments carrying payload, per direction (0 = originator), keep-alives and probes excluded */
  dataSegments: [number, number];
  /** of those, labelled retransmission (fast and spurious included) */
  retransmittedData: [number, number];
  /** data segments seen twice by the capture (same seq and length within DUPLICATE_WINDOW_NS, or
   *  the same IPv4 ID, seq, length and flags within a round trip: analyse.ts
   *  DUPLICATE_IPID_WINDOW_NS): counted here, not as data segments nor as retransmissions */
  captureDuplicates: number;
  firstDuplicateFrame: number;
  /** holes in the bytes the capture saw of one direction that the other side acknowledged before
   *  any segment filled them: data that reached the receiver past the capture point (capture
   *  loss); the frame of the first such ACK */
  ackedUnseen: number;
  firstAckedUnseenFrame: number;
  /** retransmissions of data after a silence of at least RTO_STALL_MIN_NS on the connection */
  rtoStalls: number;
  /** the longest such silence, its retransmission's frame and direction */
  maxRtoStallNs: number;
  maxRtoStallFrame: number;
  maxRtoStallDir: 0 | 1;
  /** zero-window episodes: a side advertised window 0 until it advertised a non-zero one */
  zeroWindows: number;
  maxZeroWindowNs: number;
  /** the zero window that began the longest episode and the frame that reopened it (0 = never) */
  zeroWindowFrame: number;
  zeroWindowEndFrame: number;
  zeroWindowDir: 0 | 1;
}

/** A TCP retransmission whose bytes differ from what the first transmission carried: the
 *  comparison (PayloadDiff: seq, len, first differing byte, counts, hex of both) and where. */
export interface TcpDataDiffFact extends PayloadDiff {
  capture: number;
  stream: number;
  dir: 0 | 1;
  /** the retransmitted segment's frame and time */
  frame: number;
  ns: bigint;
}

/** An ICMP or ICMPv6 error, tied to the TCP connection its quoted header belongs to (if any). */
export interface IcmpErrorFact {
  capture: number;
  frame: number;
  ns: bigint;
  v6: boolean;
  type: number;
  code: number;
  /** who sent the ICMP error */
  from: string;
  to: string;
  quoted: { src: string; dst: string; proto: number; srcPort: number; dstPort: number; seq: number | null } | null;
  /** the tracked TCP connection the quoted header matches, and the direction of the quoted packet */
  stream: number | null;
  quotedDir: 0 | 1 | null;
}

export interface CaptureEntry {
  path: string;
  info: CaptureInfo;
  frames: number;
  firstNs: bigint | null;
  lastNs: bigint | null;
  framesCutBySnaplen: number;
  issueCounts: Partial<Record<CaptureIssueCode, number>>;
  issues: CaptureIssue[];
  complete: boolean;
  wireIssues: Partial<Record<WireIssueCode, number>>;
  protocols: { tcp: number; udp: number; icmp: number; other: number };
  /** this capture's exchanges are AnalysedTrace.exchanges[exchangeStart, exchangeEnd) (stream
   *  numbers are per capture) */
  exchangeStart: number;
  exchangeEnd: number;
}

export interface AnalysedTrace {
  captures: CaptureEntry[];
  connections: ConnectionFacts[];
  /** the key segments of every kept connection, in columns (segment-store.ts) */
  segments: SegmentStore;
  /** the fact rows of the kept connections (kept.ts), row k being connections[k]; absent in a
   *  trace built by hand (its connections are then plain objects) */
  connectionFacts?: ConnFactTable;
  exchanges: Exchange[];
  icmpErrors: IcmpErrorFact[];
  labelCounts: Partial<Record<LabelName, number>>;
  tcpStats: TrackerStats[];
  protocolCounters: Record<string, number>;
  /** connection set-up latency per capture and server port */
  connectLatency: ConnectLatencyFacts[];
  /** TCP retransmissions with other bytes than the first transmission */
  tcpDataDiffs: TcpDataDiffFact[];
  /** how much retransmitted payload could be compared (payload-ring.ts bounds) */
  retention: RetentionStats;
  /** what the bounds above left out */
  dropped: { connections: number; exchanges: number; icmpErrors: number; tcpDataDiffs: number; connectLatencyPorts: number };
}
