// The protocol stage of one pass over a capture: fed each decoded packet together with the TCP
// tracker's verdict on it (connection, direction, stream index), it keeps one in-order stream
// per TCP direction (tcp/stream.ts) and hands stream events and UDP datagrams to the dispatcher.
// State per connection lives until the tracker reports the connection's end.

import { u32be } from '../bytes/reader.js';
import type { Frame } from '../capture/types.js';
import type { Conn } from '../tcp/conn.js';
import { StreamDirection } from '../tcp/stream.js';
import { formatAddr } from '../wire/addr.js';
import { PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type Packet } from '../wire/packet.js';
import { Dispatcher, type TcpProtocolConnection } from './dispatch.js';
import type { Endpoint, ExchangeSink, MessageSink, ProtocolOptions } from './types.js';

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

/** UDP endpoints are cached by address+port text so a busy flow does not allocate per datagram. */
const MAX_UDP_ENDPOINTS = 4096;

export class ProtocolPass {
  readonly dispatcher: Dispatcher;
  private readonly conns = new Map<number, ConnStreams>();
  /** the connection of the previous segment (segments come in runs of one connection) */
  private lastStream = -1;
  private lastConn: ConnStreams | null = null;
  private readonly udpEndpoints = new Map<string, Endpoint>();

  /** `options`: what the consumer reads of the exchanges (types.ts ProtocolOptions; the default is
   *  everything) */
  constructor(onExchange: ExchangeSink, onMessage: MessageSink | null = null, options: ProtocolOptions = {}) {
    this.dispatcher = new Dispatcher(onExchange, onMessage, options);
  }

  get counters(): Record<string, number> {
    return this.dispatcher.counters;
  }

  /** A TCP segment the tracker analysed. */
  tcp(frame: Frame, pkt: Packet, seg: SegmentRef): void {
    let cs = seg.stream === this.lastStream ? this.lastConn : this.conns.get(seg.stream);
    if (!cs) {
      const client = endpointOfConn(seg.conn, 0);
      const server = endpointOfConn(seg.conn, 1);
      const proto = this.dispatcher.tcpConnection({ transport: 'tcp', stream: seg.stream, client, server });
      cs = { proto, dirs: [new StreamDirection(proto.fromClient), new StreamDirection(proto.fromServer)], lastFrame: 0 };
      this.conns.set(seg.stream, cs);
    }
    this.lastStream = seg.stream;
    this.lastConn = cs;
    cs.lastFrame = frame.number;
    if (cs.proto.protocol === 'none') return;
    // the acknowledgement first: the peer had the bytes it acknowledges before it sent this
    // segment, so a request completed by that knowledge precedes a response in this segment
    if ((pkt.tcpFlags & TCP_ACK) !== 0) cs.dirs[1 - seg.dir].peerAck(pkt.ack, frame.number);
    const d = cs.dirs[seg.dir];
    // a pure ACK (a third of the segments of a bulk transfer) has nothing more for the stream
    if (pkt.payloadLength === 0 && (pkt.tcpFlags & (TCP_SYN | TCP_FIN | TCP_RST)) === 0 && d.started) return;
    // the reader's buffer with the frame's start, not frame.data: that view is made on first use,
    // one allocation per segment (about 5% of the pass on the bench captures); every consumer
    // bounds its reads by the lengths it is given, never by the array's end
    d.segment(pkt.seq, pkt.tcpFlags, frame.buf, frame.start + pkt.payloadOffset, pkt.payloadCaptured,
      pkt.payloadLength, frame.number, frame.tsSec, frame.tsNsec);
  }

  /** The tracker released a connection: deliver what waits and close its requests. */
  connectionEnded(stream: number): void {
    const cs = this.conns.get(stream);
    if (!cs) return;
    this.conns.delete(stream);
    if (stream === this.lastStream) {
      this.lastStream = -1;
      this.lastConn = null;
    }
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
    for (const stream of [...this.conns.keys()]) this.connectionEnded(stream);
    this.dispatcher.finish();
  }
}
