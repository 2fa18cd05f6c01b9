// Per-segment sequence analysis with Wireshark 4.0's definitions, order and precedence
// (epan/dissectors/packet-tcp.c, tcp_analyze_sequence_number). Written from those definitions;
// each label's block opens with its one-line definition. "fwd" is the direction of this
// segment, "rev" the other one. Sequence arithmetic is modulo 2^32 through bytes/seq.ts.
//
// Precedence, as in Wireshark: a zero window probe is checked first and ends the forward checks;
// keep-alive ACK and zero-window-probe ACK end them too; among retransmissions the first match
// of spurious retransmission, fast retransmission, out-of-order, retransmission wins, and a
// keep-alive is never any of them.

import { seqGt, seqLe, seqLt } from '../bytes/seq.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from '../wire/packet.js';
import type { Conn } from './conn.js';
import { IO_NEXT, IO_SEQ, IO_TS, RING_IO } from './unacked.js';
import {
  C_FIRST_RTT, D0_SLOT, D1_SLOT, D_BASE_SEQ, D_BASE_SET, D_DUP_ACK_NUM, D_LAST_ACK, D_LAST_ACK_TIME,
  D_LAST_NON_DUP_ACK, D_LAST_SEGMENT_FLAGS, D_MAX_SEQ_TO_BE_ACKED, D_NEXT_SEQ, D_NEXT_SEQ_FRAME,
  D_NEXT_SEQ_TIME, D_VALID_BIF, D_WINDOW, D_WIN_SCALE, WS_NONE, WS_UNKNOWN,
} from './conn.js';
import {
  KA_NONE, KA_ONE_BYTE, KA_ZERO_BYTE, L_ACK_LOST_SEGMENT, L_DUPLICATE_ACK, L_FAST_RETRANSMISSION,
  L_KEEP_ALIVE, L_KEEP_ALIVE_ACK, L_LOST_SEGMENT, L_OUT_OF_ORDER, L_RETRANSMISSION,
  L_SPURIOUS_RETRANSMISSION, L_WINDOW_FULL, L_WINDOW_UPDATE, L_ZERO_WINDOW, L_ZERO_WINDOW_PROBE,
  L_ZERO_WINDOW_PROBE_ACK,
} from './labels.js';

/** A retransmission this soon after the duplicate ACKs that asked for it is a fast
 *  retransmission (Wireshark: 20 ms). */
export const FAST_RETRANSMISSION_WINDOW_NS = 20_000_000;
/** Without a handshake RTT, a segment that goes back in sequence within this time of the highest
 *  one is out of order rather than retransmitted (Wireshark: 3 ms; with a handshake, its RTT). */
export const OOO_DEFAULT_THRESHOLD_NS = 3_000_000;
/** Wireshark shows bytes in flight only below this (larger spans are bogus). */
const BIF_MAX = 2_000_000_000;

const SFR = TCP_SYN | TCP_FIN | TCP_RST;
/** Wireshark parks a direction's duplicate-ACK counter at -1 after an ACK of an unseen segment;
 *  the counter is unsigned there, so -1 also passes the ">= 2 duplicate ACKs" test. */
export const DUPACK_AFTER_ACK_LOST = -1;

/** What one segment's analysis produces besides its labels (filled in place). */
export interface SegmentFacts {
  labels: number;
  dupAckNum: number;
  dupAckFrame: number;
  ackedFrame: number;
  ackRttNs: number;
  bytesInFlight: number;
  keepAliveStyle: number;
}

/** The header fields the analysis reads (a decoded Packet has them). */
export type SegmentInput = Pick<Packet, 'seq' | 'ack' | 'payloadLength' | 'tcpFlags' | 'window'>;

/**
 * Analyses one segment of `c` sent in direction `dir` (0 = by the originator): "fwd" is that
 * direction's block of the Conn's slab (n[f + D_*]), "rev" the other one's (n[r + D_*]), read
 * and written directly (accessors would exhaust V8's inlining budget here). `labels` may already
 * hold reused_ports, set by the connection lookup. The segment's time is c.lastTime (ns relative
 * to the time base), set by the tracker before.
 *
 * Sequence numbers and times are read from the slab rather than passed as arguments: V8 boxes a
 * number beyond 2^30 passed to a call that is not inlined, which would be garbage per packet (the
 * ring's calls take theirs through RING_IO for the same reason).
 */
export function analyzeSegment(c: Conn, dir: number, seg: SegmentInput, frame: number, out: SegmentFacts): void {
  const n = c.n;
  const f = c.o + (dir === 0 ? D0_SLOT : D1_SLOT);
  const r = c.o + (dir === 0 ? D1_SLOT : D0_SLOT);
  const fwdRing = dir === 0 ? c.u0 : c.u1;
  const revRing = dir === 0 ? c.u1 : c.u0;
  const seq = seg.seq;
  const ack = seg.ack;
  const seglen = seg.payloadLength;
  const flags = seg.tcpFlags;
  const window = seg.window;
  const now = c.lastTime;
  let labels = out.labels;
  out.dupAckNum = 0;
  out.dupAckFrame = 0;
  out.ackedFrame = 0;
  out.ackRttNs = -1;
  out.bytesInFlight = -1;
  out.keepAliveStyle = KA_NONE;

  // The ISN of each direction: from its SYN, or one before its first sequence number; for the
  // other direction, one before the first acknowledgement number seen.
  if (!n[f + D_BASE_SET]) {
    n[f + D_BASE_SEQ] = flags & TCP_SYN ? seq : (seq - 1) >>> 0;
    n[f + D_BASE_SET] = 1;
  }
  if (!n[r + D_BASE_SET] && flags & TCP_ACK) {
    n[r + D_BASE_SEQ] = (ack - 1) >>> 0;
    n[r + D_BASE_SET] = 1;
  }
  if (flags & TCP_ACK) n[r + D_VALID_BIF] = 1;

  // This direction's state before the segment (written back only at the end, below), and
  // whether the segment repeats its previous one (no data, same seq and ack, no SYN/FIN/RST):
  // the window update, keep-alive ACK, zero window probe ACK and duplicate ACK tests share it.
  const fNextSeq = n[f + D_NEXT_SEQ];
  const fWindow = n[f + D_WINDOW];
  const fLastAck = n[f + D_LAST_ACK];
  const repeats = seglen === 0 && seq === fNextSeq && ack === fLastAck && (flags & SFR) === 0;

  fwdChecks: {
    // zero_window_probe: exactly one byte at the next expected sequence number while the other
    // side advertises a zero window.
    if (seglen === 1 && seq === fNextSeq && n[r + D_WINDOW] === 0) {
      labels |= L_ZERO_WINDOW_PROBE;
      break fwdChecks;
    }

    // zero_window: this segment advertises a zero window (SYN, FIN and RST never count).
    if (window === 0 && (flags & SFR) === 0) labels |= L_ZERO_WINDOW;

    // lost_segment ("previous segment not captured"): the segment starts beyond the highest
    // sequence number seen so far in its direction (RST segments are not checked).
    if (fNextSeq !== 0 && seqGt(seq, fNextSeq) && (flags & TCP_RST) === 0) {
      labels |= L_LOST_SEGMENT;
      n[f + D_VALID_BIF] = 0; // no bytes in flight until the other side ACKs again
    }

    // keep_alive: 0 or 1 byte starting one byte before the next expected sequence number
    // (never SYN, FIN or RST). 0 bytes is the Linux style, 1 byte the Windows style.
    if ((seglen === 0 || seglen === 1) && seq === ((fNextSeq - 1) >>> 0) && (flags & SFR) === 0) {
      labels |= L_KEEP_ALIVE;
      out.keepAliveStyle = seglen === 0 ? KA_ZERO_BYTE : KA_ONE_BYTE;
    }

    // window_update: no data, same seq/ack as this direction's previous segment, and a new
    // non-zero window.
    if (repeats && window !== 0 && window !== fWindow) {
      labels |= L_WINDOW_UPDATE;
    }

    // window_full: data that reaches exactly the right edge of the window the other side
    // advertised (only when its window scale is known; never SYN, FIN or RST).
    if (seglen > 0 && n[r + D_WIN_SCALE] !== WS_UNKNOWN && (flags & SFR) === 0) {
      const shift = n[r + D_WIN_SCALE] === WS_NONE ? 0 : n[r + D_WIN_SCALE];
      const edge = (n[r + D_LAST_ACK] + ((n[r + D_WINDOW] << shift) >>> 0)) >>> 0;
      if (((seq + seglen) >>> 0) === edge) labels |= L_WINDOW_FULL;
    }

    // keep_alive_ack: repeats this direction's previous ACK and window (non-zero) without data,
    // answering a keep-alive from the other side.
    if (repeats && window !== 0 && window === fWindow && (n[r + D_LAST_SEGMENT_FLAGS] & L_KEEP_ALIVE) !== 0) {
      labels |= L_KEEP_ALIVE_ACK;
      break fwdChecks;
    }

    // zero_window_probe_ack: repeats the previous ACK and its zero window, answering a zero
    // window probe from the other side.
    if (repeats && window === 0 && window === fWindow && (n[r + D_LAST_SEGMENT_FLAGS] & L_ZERO_WINDOW_PROBE) !== 0) {
      labels |= L_ZERO_WINDOW_PROBE_ACK;
      break fwdChecks;
    }

    // duplicate_ack: no data, and the same window (non-zero), seq and ack as this direction's
    // previous segment; numbered from the last segment that changed the ACK.
    if (repeats && window !== 0 && window === fWindow) {
      n[f + D_DUP_ACK_NUM] = n[f + D_DUP_ACK_NUM] === DUPACK_AFTER_ACK_LOST ? 1 : n[f + D_DUP_ACK_NUM] + 1;
      labels |= L_DUPLICATE_ACK;
      out.dupAckNum = n[f + D_DUP_ACK_NUM];
      out.dupAckFrame = n[f + D_LAST_NON_DUP_ACK];
    }
  }

  // A new acknowledgement number resets the duplicate-ACK count.
  if (ack !== fLastAck) {
    n[f + D_LAST_NON_DUP_ACK] = frame;
    n[f + D_DUP_ACK_NUM] = 0;
  }

  // ack_lost_segment ("ACKed segment that wasn't captured"): the ACK covers data beyond the
  // highest contiguous sequence number seen from the other side.
  // Reported once per gap: the limit jumps to the highest sequence number seen; when it is
  // already there (the other side sends only ACKs), only the first such ACK is flagged, and the
  // other side's duplicate-ACK count is parked at Wireshark's -1 until its ACK changes.
  if (n[r + D_MAX_SEQ_TO_BE_ACKED] !== 0 && seqGt(ack, n[r + D_MAX_SEQ_TO_BE_ACKED]) && (flags & TCP_ACK) !== 0) {
    if (seqLt(n[r + D_MAX_SEQ_TO_BE_ACKED], n[r + D_NEXT_SEQ])) {
      n[r + D_MAX_SEQ_TO_BE_ACKED] = n[r + D_NEXT_SEQ];
      labels |= L_ACK_LOST_SEGMENT;
    } else {
      if (n[r + D_DUP_ACK_NUM] === 0) labels |= L_ACK_LOST_SEGMENT;
      n[r + D_DUP_ACK_NUM] = DUPACK_AFTER_ACK_LOST;
    }
  }

  // Retransmission family: a segment with data (or SYN/FIN) that does not advance the sequence
  // number. Keep-alives are never part of it.
  if ((seglen > 0 || (flags & (TCP_SYN | TCP_FIN)) !== 0) && (labels & L_KEEP_ALIVE) === 0) {
    let seqNotAdvanced = fNextSeq !== 0 && seqLt(seq, fNextSeq);
    // More than one byte starting one before the next expected byte adds new data (the byte
    // before was probably a zero window probe): not a retransmission nor out of order.
    if (seglen > 1 && ((fNextSeq - 1) >>> 0) === seq) seqNotAdvanced = false;

    retrans: {
      // spurious_retransmission: data the other side has already acknowledged.
      if (seglen > 0 && n[r + D_LAST_ACK] !== 0 && seqLe((seq + seglen) >>> 0, n[r + D_LAST_ACK])) {
        labels |= L_SPURIOUS_RETRANSMISSION | L_RETRANSMISSION;
        break retrans;
      }

      // fast_retransmission: goes back to the sequence number that >= 2 duplicate ACKs from
      // the other side asked for, within 20 ms of the last of them.
      const tAck = now - n[r + D_LAST_ACK_TIME];
      // (A count of DUPACK_AFTER_ACK_LOST is Wireshark's -1 in an unsigned field: >= 2.)
      if (seqNotAdvanced && (n[r + D_DUP_ACK_NUM] >= 2 || n[r + D_DUP_ACK_NUM] === DUPACK_AFTER_ACK_LOST) && n[r + D_LAST_ACK] === seq &&
          tAck >= 0 && tAck < FAST_RETRANSMISSION_WINDOW_NS) {
        labels |= L_FAST_RETRANSMISSION | L_RETRANSMISSION;
        break retrans;
      }

      // out_of_order: goes back in sequence less than one handshake RTT (3 ms without one)
      // after the highest segment, and does not end exactly where that one ended (SYN and FIN
      // count one).
      const tSeq = now - n[f + D_NEXT_SEQ_TIME];
      const firstRtt = n[c.o + C_FIRST_RTT];
      const threshold = firstRtt === 0 ? OOO_DEFAULT_THRESHOLD_NS : firstRtt;
      const end = (seq + seglen + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0)) >>> 0;
      if (seqNotAdvanced && tSeq >= 0 && tSeq < threshold && fNextSeq !== end) {
        labels |= L_OUT_OF_ORDER;
        break retrans;
      }

      // retransmission: any other segment that does not advance the sequence number.
      if (seqNotAdvanced) labels |= L_RETRANSMISSION;
    }
  }

  // Record the segment as unacknowledged data (SYN and FIN count one).
  let nextSeq = (seq + seglen) >>> 0;
  if (seglen > 0 || (flags & (TCP_SYN | TCP_FIN)) !== 0) {
    if (flags & (TCP_SYN | TCP_FIN)) nextSeq = (nextSeq + 1) >>> 0;
    RING_IO[IO_SEQ] = seq;
    RING_IO[IO_NEXT] = nextSeq;
    RING_IO[IO_TS] = now;
    fwdRing.pushIo(frame);
  }

  // Highest sequence number seen (a zero window probe does not advance it).
  if ((seqGt(nextSeq, fNextSeq) || fNextSeq === 0) && (labels & L_ZERO_WINDOW_PROBE) === 0) {
    n[f + D_NEXT_SEQ] = nextSeq;
    n[f + D_NEXT_SEQ_FRAME] = frame;
    n[f + D_NEXT_SEQ_TIME] = now;
  }
  // Highest contiguous sequence number, for ack_lost_segment.
  if ((seq === n[f + D_MAX_SEQ_TO_BE_ACKED] || n[f + D_MAX_SEQ_TO_BE_ACKED] === 0) && (labels & L_ZERO_WINDOW_PROBE) === 0) {
    n[f + D_MAX_SEQ_TO_BE_ACKED] = n[f + D_NEXT_SEQ];
  }

  n[f + D_WINDOW] = window;
  n[f + D_LAST_ACK] = ack;
  n[f + D_LAST_ACK_TIME] = now;
  n[f + D_LAST_SEGMENT_FLAGS] = labels;

  // ack_rtt: this packet's acknowledgement number is the exact end of an unacknowledged segment
  // of the other direction; the time since that segment was sent.
  const ring = revRing;
  if (ring.count > 0) {
    ring.ackNo = ack; // through a field, not an argument (see UnackedRing.applyAck)
    ring.applyAck();
    if (ring.ackedFrame !== 0) {
      out.ackedFrame = ring.ackedFrame;
      out.ackRttNs = now - ring.ackedTs;
    }
  }

  // bytes_in_flight: for a data segment, the span of this direction's unacknowledged data.
  if (seglen !== 0 && fwdRing.count > 0 && n[f + D_VALID_BIF] !== 0) {
    fwdRing.spanBase = n[f + D_BASE_SEQ];
    const inFlight = fwdRing.spanFromBase();
    if (inFlight > 0 && inFlight < BIF_MAX) out.bytesInFlight = inFlight;
  }

  out.labels = labels;
}

/** Window scale bookkeeping after a SYN or SYN-ACK (Wireshark's verify_tcp_window_scaling): a
 *  direction's SYN without the option means no scaling in either direction; a SYN-ACK with the
 *  option answering a SYN without it does not enable scaling either. `f` and `r` are the blocks
 *  of this direction and the other in the slab `n`. */
export function noteWindowScale(n: Float64Array, f: number, r: number, flags: number, wscale: number): void {
  if (wscale >= 0) n[f + D_WIN_SCALE] = wscale > MAX_WSCALE ? MAX_WSCALE : wscale;
  if (n[f + D_WIN_SCALE] === WS_UNKNOWN) {
    n[f + D_WIN_SCALE] = WS_NONE;
    n[r + D_WIN_SCALE] = WS_NONE;
  } else if (flags & TCP_ACK && n[r + D_WIN_SCALE] === WS_NONE) {
    n[f + D_WIN_SCALE] = WS_NONE;
  }
}

/** RFC 7323 2.3: a shift above 14 is treated as 14. */
export const MAX_WSCALE = 14;
