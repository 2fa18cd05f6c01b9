// The protocol stage of one pass over a capture: fed each decoded packet together with the TCP
// tracker's verdict on it (connection, direction, stream index), it keeps one in-order stream
// per TCP direction (tcp/stream.ts) and hands stream events and UDP datagrams to the dispatcher.
// State per connection lives until the tracker reports the connection's end.
//
// Most connections of a busy capture carry neither SMB nor RPC, so a connection costs objects
// only once it needs them. One whose ports decide its protocol (SMB/RPC port tables, ports
// learned from portmap replies, both asked at its first segment exactly as the dispatcher does)
// gets its streams and protocol state at once. Any other connection is 'undecided': its two
// stream directions are parked as a few numbers in typed arrays (UndecidedTable) and run through
// one shared StreamDirection whose sink makes the dispatcher's content test on each in-order data
// chunk. When a chunk decides SMB or RPC (or a direction must hold out-of-order bytes) the
// connection gets its real objects, carrying its tries and mid-stream marks, and the shared
// direction becomes one of its streams mid-call, so every event after that point goes where it
// went before. A connection decided 'none' keeps one number until its end. Where each of these
// stands is kept by the tracker's slot of the connection (ParkedIndex), not in a map by stream:
// pure ACKs of an undecided connection cost two loads and a flag test.

import { u32be } from '../bytes/reader.js';
import { seqAdd } from '../bytes/seq.js';
import type { Frame } from '../capture/types.js';
import type { Conn } from '../tcp/conn.js';
import { StreamDirection, type GapReason, type StreamSink } from '../tcp/stream.js';
import { formatAddr } from '../wire/addr.js';
import { PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from '../wire/packet.js';
import { Dispatcher, MAX_CONTENT_TRIES, probeStart, protocolByPort, type TcpProtocolConnection } from './dispatch.js';
import type { ConnContext, Endpoint, ExchangeSink, MessageSink, ProtocolOptions } from './types.js';
import { NOT_PARKED, ParkedIndex, UndecidedTable, F_FIN, F_MID, F_STARTED } from './undecided.js';
import type { FileWindow } from './places.js';

/** What the pass needs from the TCP tracker for one segment. */
export interface SegmentRef {
  conn: Conn;
  /** 0 = sent by the originator (client), 1 = by the responder */
  dir: number;
  stream: number;
}

interface ConnStreams {
  proto: TcpProtocolConnection;
  dirs: [StreamDirection, StreamDirection];
  lastFrame: number;
}

const words = [0, 0, 0, 0];

function endpointOfConn(c: Conn, side: number): Endpoint {
  if (side === 0) {
    words[0] = c.a0; words[1] = c.a1; words[2] = c.a2; words[3] = c.a3;
    return { addr: formatAddr(c.l3, words), port: c.aPort };
  }
  words[0] = c.b0; words[1] = c.b1; words[2] = c.b2; words[3] = c.b3;
  return { addr: formatAddr(c.l3, words), port: c.bPort };
}

function contextOf(c: Conn, stream: number): ConnContext {
  return { transport: 'tcp', stream, client: endpointOfConn(c, 0), server: endpointOfConn(c, 1) };
}

/** The ParkedIndex entry of a segment's connection: the tracker's slot of the connection; a Conn
 *  that has none (a hand-made one in tests) is entered by its stream number. */
function entryOf(seg: SegmentRef): number {
  const s = seg.conn.slot;
  return s >= 0 ? s : seg.stream;
}

/** value in ProtocolPass.parked for a connection decided 'none' */
const NONE = -1;
/** ProtocolPass.lastSlot when the last connection has its objects (lastConn) */
const FULL = -2;

/** UDP endpoints are cached by address+port text so a busy flow does not allocate per datagram. */
const MAX_UDP_ENDPOINTS = 4096;

export class ProtocolPass {
  readonly dispatcher: Dispatcher;
  /** connections with their objects (protocol known from the ports, or decided since) */
  private readonly conns = new Map<number, ConnStreams>();
  /** the other connections: by entryOf(), the slot in `table`, or NONE */
  private readonly parked = new ParkedIndex();
  private readonly table = new UndecidedTable();
  /** runs the parked directions of undecided connections, one segment at a time */
  private shared: StreamDirection;
  private readonly probe: ProbeSink;
  /** the connection of the previous segment (segments come in runs of one connection) */
  private lastStream = -1;
  private lastConn: ConnStreams | null = null;
  private lastSlot = FULL;
  private readonly udpEndpoints = new Map<string, Endpoint>();
  /** the segment the shared direction is running (for promoteCurrent) */
  private curFrame: Frame | null = null;
  private curSeg: SegmentRef | null = null;
  /** the dispatcher's file window (ProtocolOptions.captureFile): set to the frame's buffer and
   *  file position while its segment runs, so framers can note where PDU bytes lie */
  private readonly window: FileWindow | null;

  /** `options`: what the consumer reads of the exchanges (types.ts ProtocolOptions; the default is
   *  everything) */
  constructor(onExchange: ExchangeSink, onMessage: MessageSink | null = null, options: ProtocolOptions = {}) {
    this.dispatcher = new Dispatcher(onExchange, onMessage, options);
    this.window = this.dispatcher.fileWindow;
    this.probe = new ProbeSink(this.table, this);
    this.shared = this.direction(this.probe);
  }

  /** A stream direction that keeps the file position of bytes it holds back (with a window). */
  private direction(sink: StreamSink): StreamDirection {
    const d = new StreamDirection(sink);
    d.origin = this.window;
    return d;
  }

  get counters(): Record<string, number> {
    return this.dispatcher.counters;
  }

  /** A TCP segment the tracker analysed. */
  tcp(frame: Frame, pkt: Packet, seg: SegmentRef): void {
    let cs: ConnStreams | null;
    let slot: number;
    if (seg.stream === this.lastStream) {
      cs = this.lastConn;
      slot = this.lastSlot;
    } else {
      // parked connections first: on a capture without SMB2 or RPC that is all of them
      const e = entryOf(seg);
      const u = this.parked.get(e, seg.stream);
      cs = null;
      slot = FULL;
      if (u !== NOT_PARKED) slot = u;
      else if ((cs = this.conns.get(seg.stream) ?? null) !== null) { /* has its objects */ }
      else if (this.decidedByPort(seg.conn)) {
        const proto = this.dispatcher.tcpConnection(contextOf(seg.conn, seg.stream));
        cs = { proto, dirs: [this.direction(proto.fromClient), this.direction(proto.fromServer)], lastFrame: 0 };
        this.conns.set(seg.stream, cs);
      } else {
        slot = this.table.alloc();
        this.park(e, seg.stream, slot);
      }
      this.lastStream = seg.stream;
      this.lastConn = cs;
      this.lastSlot = slot;
    }
    if (cs === null) {
      if (slot !== NONE) this.undecidedSegment(frame, pkt, seg, slot);
      return;
    }
    cs.lastFrame = frame.number;
    // (a connection given up is not in `conns`: see drop())
    // the acknowledgement first: the peer had the bytes it acknowledges before it sent this
    // segment, so a request completed by that knowledge precedes a response in this segment
    if ((pkt.tcpFlags & TCP_ACK) !== 0) cs.dirs[1 - seg.dir].peerAck(pkt.ack, frame.number);
    const d = cs.dirs[seg.dir];
    // a pure ACK (a third of the segments of a bulk transfer) has nothing more for the stream
    if (pkt.payloadLength === 0 && (pkt.tcpFlags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && d.started) return;
    // the reader's buffer with the frame's start, not frame.data: that view is made on first use,
    // one allocation per segment (about 5% of the pass on the bench captures); every consumer
    // bounds its reads by the lengths it is given, never by the array's end
    const w = this.window;
    if (w !== null && frame.filePos >= 0) {
      w.buf = frame.buf;
      w.base = frame.filePos - frame.start;
    }
    d.segment(pkt.seq, pkt.tcpFlags, frame.buf, frame.start + pkt.payloadOffset, pkt.payloadCaptured,
      pkt.payloadLength, frame.number, frame.tsSec, frame.tsNsec);
    if (w !== null) w.buf = null;
    if (cs.proto.protocol === 'none') this.drop(seg, cs);
  }

  /** Entry e holds `stream` in `state`; the table slot of a connection the entry held before
   *  (ended without the pass told its slot) goes back. */
  private park(e: number, stream: number, state: number): void {
    const old = this.parked.set(e, stream, state);
    if (old >= 0) this.table.free(old);
  }

  /**
   * A connection with objects was given up ('none': it had them for out-of-order bytes): it keeps
   * one number. Nothing it still holds could show (its sinks ignore everything once 'none'), so
   * finishing it now is what its end would have done.
   */
  private drop(seg: SegmentRef, cs: ConnStreams): void {
    const stream = seg.stream;
    this.conns.delete(stream);
    this.park(entryOf(seg), stream, NONE);
    cs.proto.finish();
    if (this.lastStream === stream) {
      this.lastConn = null;
      this.lastSlot = NONE;
    }
  }

  /** Do the ports decide the connection's protocol (as TcpProtocolConnection's decideByPort)? */
  private decidedByPort(c: Conn): boolean {
    if (protocolByPort(c.aPort, c.bPort) !== null) return true;
    const d = this.dispatcher;
    return d.learnedPorts > 0 && d.isLearnedTcpPort(endpointOfConn(c, 1).addr, c.bPort);
  }

  /**
   * A segment of an undecided connection, run through the shared direction (wholly: when the
   * connection gets its objects on the way, the rest of the segment goes to them).
   */
  private undecidedSegment(frame: Frame, pkt: Packet, seg: SegmentRef, slot: number): void {
    const t = this.table;
    const dir = seg.dir;
    const fl = t.flags[slot];
    // the other direction is parked: it holds nothing, so the acknowledgement changes nothing;
    // a pure ACK of a started direction changes nothing either (StreamDirection.started)
    if (pkt.payloadLength === 0 && (pkt.tcpFlags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && (fl & (F_STARTED << dir)) !== 0) return;
    const k = 4 * slot + 2 * dir;
    if (pkt.payloadLength === 0 && (pkt.tcpFlags & (TCP_SYN | TCP_FIN | TCP_RST)) === TCP_SYN) {
      // a SYN without payload (two of a short connection's segments) is what StreamDirection.segment
      // makes of it, on the numbers: it starts the direction at ISN + 1, or, started and before
      // any data (offset 0; a parked direction holds nothing), a new ISN restarts it there; no
      // event reaches the sink
      const start = seqAdd(pkt.seq, 1);
      if ((fl & (F_STARTED << dir)) === 0) {
        t.nums[k] = start;
        t.flags[slot] = fl | (F_STARTED << dir);
      } else if (t.nums[k + 1] === 0 && start !== t.nums[k]) t.nums[k] = start;
      return;
    }
    // a RST (without SYN) of a started direction: StreamDirection.segment stops at it before any
    // payload and tells only the sink's onEnd, which ProbeSink does not have: nothing changes
    if ((pkt.tcpFlags & (TCP_SYN | TCP_RST)) === TCP_RST && (fl & (F_STARTED << dir)) !== 0) return;
    const len = pkt.payloadLength;
    if (len === 0 && (pkt.tcpFlags & (TCP_SYN | TCP_FIN | TCP_RST)) === TCP_FIN && (fl & (F_STARTED << dir)) !== 0 && pkt.seq === t.nums[k]) {
      // a FIN without payload where the direction's bytes end: it ends the direction (the FIN
      // takes one sequence number), once; no event reaches ProbeSink (it has no onEnd)
      if ((fl & (F_FIN << dir)) === 0) {
        t.flags[slot] = fl | (F_FIN << dir);
        t.nums[k] = seqAdd(pkt.seq, 1);
      }
      return;
    }
    if (len > 0 && pkt.payloadCaptured === len && (pkt.tcpFlags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && (fl & (F_STARTED << dir)) !== 0
      && pkt.seq === t.nums[k] && probeStart(frame.buf, frame.start + pkt.payloadOffset, len) === null) {
      // the next bytes of a started direction, whole, that do not decide the protocol: what the
      // shared direction would do (deliver them to ProbeSink.onData, which counts a try and marks
      // the direction mid-stream, then move on), on the numbers; a chunk that decides goes the
      // general way below (the content test is a pure function of the chunk's bytes)
      if (++t.tries[slot] >= MAX_CONTENT_TRIES) {
        t.free(slot);
        this.park(entryOf(seg), seg.stream, NONE);
        if (this.lastStream === seg.stream) this.lastSlot = NONE;
        return;
      }
      t.flags[slot] = fl | (F_MID << dir);
      t.nums[k] = seqAdd(pkt.seq, len);
      t.nums[k + 1] += len;
      return;
    }
    const sd = this.shared;
    sd.unpark((fl & (F_STARTED << dir)) !== 0, t.nums[k], t.nums[k + 1], (fl & (F_FIN << dir)) !== 0);
    const p = this.probe;
    this.curFrame = frame;
    this.curSeg = seg;
    p.begin(slot, dir);
    const w = this.window;
    if (w !== null && frame.filePos >= 0) {
      w.buf = frame.buf;
      w.base = frame.filePos - frame.start;
    }
    sd.segment(pkt.seq, pkt.tcpFlags, frame.buf, frame.start + pkt.payloadOffset, pkt.payloadCaptured,
      pkt.payloadLength, frame.number, frame.tsSec, frame.tsNsec);
    if (w !== null) w.buf = null;
    this.curFrame = null;
    this.curSeg = null;
    if (p.promoted !== null) return; // handled in full: the rest of the segment went to its objects
    if (p.none) {
      this.table.free(slot);
      this.park(entryOf(seg), seg.stream, NONE);
      if (this.lastStream === seg.stream) this.lastSlot = NONE;
      return;
    }
    if (!sd.canPark) {
      // out-of-order bytes wait in the shared direction: the connection needs its own
      this.promote(frame, seg, slot);
      return;
    }
    t.nums[k] = sd.nextSeq;
    t.nums[k + 1] = sd.position;
    let f = t.flags[slot] | (F_STARTED << dir);
    if (sd.finSeen) f |= F_FIN << dir;
    t.flags[slot] = f;
    return;
  }

  /** @internal ProbeSink: a chunk of the running segment decided the connection's protocol. */
  promoteCurrent(slot: number): ConnStreams {
    return this.promote(this.curFrame!, this.curSeg!, slot);
  }

  /** An undecided connection gets its objects, in the state its numbers describe; the shared
   *  direction (in the middle of a segment of `seg.dir`) becomes that direction's stream. */
  private promote(frame: Frame, seg: SegmentRef, slot: number): ConnStreams {
    const t = this.table;
    const fl = t.flags[slot];
    const proto = this.dispatcher.tcpConnection(contextOf(seg.conn, seg.stream), {
      tries: t.tries[slot], midstream0: (fl & F_MID) !== 0, midstream1: (fl & (F_MID << 1)) !== 0,
    });
    const dir = seg.dir;
    const other = 1 - dir;
    const od = this.direction(other === 0 ? proto.fromClient : proto.fromServer);
    const k = 4 * slot + 2 * other;
    od.unpark((fl & (F_STARTED << other)) !== 0, t.nums[k], t.nums[k + 1], (fl & (F_FIN << other)) !== 0);
    const sd = this.shared;
    sd.rebind(dir === 0 ? proto.fromClient : proto.fromServer);
    this.shared = this.direction(this.probe);
    const cs: ConnStreams = { proto, dirs: dir === 0 ? [sd, od] : [od, sd], lastFrame: frame.number };
    t.free(slot);
    this.parked.clear(entryOf(seg));
    this.conns.set(seg.stream, cs);
    if (this.lastStream === seg.stream) {
      this.lastConn = cs;
      this.lastSlot = FULL;
    }
    this.probe.promoted = cs;
    return cs;
  }

  /** The tracker released a connection: deliver what waits and close its requests. `slot`: the
   *  tracker's slot of the connection (Conn.slot), when the caller has it; without it a parked
   *  connection's entry stays until its slot is reused (it holds nothing to deliver). */
  connectionEnded(stream: number, slot = -1): void {
    if (stream === this.lastStream) {
      this.lastStream = -1;
      this.lastConn = null;
      this.lastSlot = FULL;
    }
    // the entry is the slot, or the stream number for a Conn without one (entryOf)
    const e = slot >= 0 ? slot : stream;
    const u = this.parked.get(e, stream);
    if (u !== NOT_PARKED) {
      this.parked.clear(e);
      if (u !== NONE) this.table.free(u);
      return;
    }
    const cs = this.conns.get(stream);
    if (!cs) return;
    this.conns.delete(stream);
    cs.dirs[0].flush(cs.lastFrame);
    cs.dirs[1].flush(cs.lastFrame);
    cs.proto.finish();
  }
  /** Any decoded packet: UDP datagrams (first IP fragments included) may carry RPC. */
  packet(frame: Frame, pkt: Packet): void {
    if (pkt.proto !== PROTO_UDP || pkt.srcPort < 0 || pkt.udpLength < 0 || pkt.fragment === 2) return;
    const b = frame.buf; // not frame.data: no view per datagram (see tcp())
    const off = frame.start + pkt.payloadOffset;
    const len = pkt.payloadCaptured;
    // cheap shape filter before any string work: an RPC message type word at offset 4
    if (len < 12 || u32be(b, off + 4) > 1) return;
    const wire = pkt.fragment === 1 ? Math.max(pkt.udpLength - 8, len) : pkt.payloadLength;
    const src = this.udpEndpoint(pkt.l3, pkt.src, pkt.srcPort);
    const dst = this.udpEndpoint(pkt.l3, pkt.dst, pkt.dstPort);
    this.dispatcher.udp(src, dst, b, off, len, wire, frame.number, frame.tsSec, frame.tsNsec);
  }

  private udpEndpoint(l3: number, w: Uint32Array, port: number): Endpoint {
    const addr = formatAddr(l3, w);
    const k = `${addr}#${port}`;
    let e = this.udpEndpoints.get(k);
    if (!e) {
      if (this.udpEndpoints.size >= MAX_UDP_ENDPOINTS) this.udpEndpoints.clear();
      e = { addr, port };
      this.udpEndpoints.set(k, e);
    }
    return e;
  }

  /** End of capture (after the tracker's finish()). */
  finish(): void {
    // in the order the connections began (stream numbers), as when every connection had its
    // objects from its first segment: connections decided later were added to `conns` later
    for (const stream of [...this.conns.keys()].sort((a, b) => a - b)) this.connectionEnded(stream);
    // parked connections hold nothing to deliver: their entries go with the pass
    this.dispatcher.finish();
  }
}

/**
 * Sink of the shared direction: the dispatcher's content test (TcpProtocolConnection.data() while
 * undecided) on each in-order chunk, with the tries and mid-stream marks kept in the table. A
 * chunk that decides SMB or RPC promotes the connection and goes on to its objects.
 */
class ProbeSink implements StreamSink {
  private slot = 0;
  private dir = 0;
  /** set by the pass when the connection got its objects during this segment */
  promoted: ConnStreams | null = null;
  /** the connection was decided 'none' during this segment */
  none = false;

  constructor(private readonly t: UndecidedTable, private readonly pass: { promoteCurrent(slot: number): ConnStreams }) {}

  begin(slot: number, dir: number): void {
    this.slot = slot;
    this.dir = dir;
    this.promoted = null;
    this.none = false;
  }

  onData(b: Uint8Array, off: number, len: number, streamOffset: number, frame: number, sec: number, nsec: number): void {
    if (this.none) return;
    if (probeStart(b, off, len) !== null) {
      // the connection's own data() makes the same test again and takes the decision there
      const cs = this.pass.promoteCurrent(this.slot);
      const sink = this.dir === 0 ? cs.proto.fromClient : cs.proto.fromServer;
      sink.onData(b, off, len, streamOffset, frame, sec, nsec);
      return;
    }
    const t = this.t;
    if (++t.tries[this.slot] >= MAX_CONTENT_TRIES) this.none = true;
    // bytes of an unknown start: a later decision must resynchronise
    t.flags[this.slot] |= F_MID << this.dir;
  }

  onGap(bytes: number, _streamOffset: number, _frame: number, reason: GapReason): void {
    if (this.none) return;
    if (reason === 'midstream' || bytes > 0) this.t.flags[this.slot] |= F_MID << this.dir;
  }
}
