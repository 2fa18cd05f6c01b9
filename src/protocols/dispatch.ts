// Protocol dispatcher: decides which decoder a TCP connection or UDP datagram goes to, and wires
// stream events (tcp/stream.ts) through PDU framing (framer.ts) to the SMB and RPC decoders,
// which report Exchange records through the callback given here.
//
// Choice, in order: well-known server ports (445 and 139 -> SMB; 111 portmap and 2049 NFS ->
// ONC RPC), ports learned from portmap/rpcbind replies (rpc/ports.ts: NLM on 304, MOUNT ...),
// then content: the first bytes of the first data look like a NetBIOS+SMB header or an RPC
// record mark + call header. A connection that shows neither within MAX_CONTENT_TRIES chunks is
// left alone. UDP datagrams go to RPC by port, by learned port, by call-header shape, or as a
// reply whose XID is pending.

import type { StreamSink, GapReason, SkipHint } from '../tcp/stream.js';
import { Framer, PROBE_YES, type PduInfo } from './framer.js';
import type { ProtoOutput } from './output.js';
import { probeCall, probeReplyShape } from './rpc/message.js';
import { programName } from './rpc/names.js';
import { RecordAssembler, recordFraming } from './rpc/record.js';
import { RpcTracker, type RpcOrigin } from './rpc/tracker.js';
import { netbiosFraming, probeSmb } from './smb2/netbios.js';
import { SmbSession } from './smb2/session.js';
import {
  bump, resolveProtocolOptions, type ConnContext, type Endpoint, type ExchangeSink, type MessageSink, type ProtoCounters, type ProtocolOptions,
} from './types.js';
import { u32be } from '../bytes/reader.js';
import { CaptureBytes } from './capture-bytes.js';
import { FileWindow } from './places.js';

export const SMB_PORTS: readonly number[] = [445, 139];
export const RPC_PORTS: readonly number[] = [111, 2049];
/** data chunks inspected before an unknown-port connection is given up on */
export const MAX_CONTENT_TRIES = 8;

/** content test for unknown ports: a record mark followed by a call header */
const CALL_ONLY_FRAMING = recordFraming(() => false);

export type ConnProtocol = 'undecided' | 'smb' | 'rpc' | 'none';

/** The content test on one in-order data chunk of an undecided connection: 'smb', 'rpc', or
 *  null (one more try). Each chunk is judged alone. */
export function probeStart(b: Uint8Array, off: number, len: number): 'smb' | 'rpc' | null {
  if (probeSmb(b, off, len) === PROBE_YES) return 'smb';
  if (CALL_ONLY_FRAMING.probe(b, off, len) === PROBE_YES) return 'rpc';
  return null;
}

/** The protocol the ports alone give a new connection, or null (content decides): SMB and RPC
 *  port tables only, not learned ports (Dispatcher.learnedPort). */
export function protocolByPort(clientPort: number, serverPort: number): 'smb' | 'rpc' | null {
  const k = PORT_KIND[serverPort & 0xffff] | PORT_KIND[clientPort & 0xffff];
  if ((k & KIND_SMB) !== 0) return 'smb';
  if ((k & KIND_RPC) !== 0) return 'rpc';
  return null;
}

/** SMB_PORTS and RPC_PORTS as bits per port (asked at every new connection: two loads instead of
 *  four searches of the lists) */
const KIND_SMB = 1;
const KIND_RPC = 2;
const PORT_KIND = new Uint8Array(65536);
for (const p of SMB_PORTS) PORT_KIND[p] |= KIND_SMB;
for (const p of RPC_PORTS) PORT_KIND[p] |= KIND_RPC;

/** Where an undecided connection stands (ProtocolPass keeps it in numbers until a decision). */
export interface UndecidedState {
  /** data chunks probed without a decision */
  tries: number;
  /** a direction's bytes started at an unknown point (a later decision must resynchronise) */
  midstream0: boolean;
  midstream1: boolean;
}

export class Dispatcher {
  private readonly rawCounters: ProtoCounters = {};
  readonly rpc: RpcTracker;
  private readonly out: ProtoOutput;
  private readonly open = new Set<TcpProtocolConnection>();
  /** with ProtocolOptions.captureFile and retransmission detail: the window the pass sets for each
   *  segment (RPC framers note their PDUs' file places through it), and the file read back */
  readonly fileWindow: FileWindow | null;
  private readonly file: CaptureBytes | null;

  constructor(onExchange: ExchangeSink, onMessage: MessageSink | null = null, options: ProtocolOptions = {}) {
    this.out = { exchange: onExchange, message: onMessage, counters: this.rawCounters, options: resolveProtocolOptions(options) };
    const path = this.out.options.captureFile;
    const places = path !== null && this.out.options.retransmissionDetail;
    this.file = places ? new CaptureBytes(path) : null;
    this.fileWindow = places ? new FileWindow() : null;
    this.rpc = new RpcTracker(this.out, this.file);
  }

  /** Counters kept per trace under stable snake_case codes (up to date when read). */
  get counters(): ProtoCounters {
    this.rpc.syncCounters();
    return this.rawCounters;
  }

  /** Ports learned from portmap/rpcbind replies so far (0: no learned-port test to make). */
  get learnedPorts(): number {
    return this.rpc.ports.size;
  }

  /** Has a portmap/rpcbind reply taught that this server's TCP port carries RPC? */
  isLearnedTcpPort(serverAddr: string, serverPort: number): boolean {
    return this.rpc.ports.lookup(serverAddr, 'tcp', serverPort) !== null;
  }

  /** A new TCP connection; feed its directions' stream events to the returned sinks. With
   *  `resume`, the connection was seen before, undecided (no port decision is made again: a
   *  port learned since then does not apply, as when it was first seen). */
  tcpConnection(ctx: ConnContext, resume: UndecidedState | null = null): TcpProtocolConnection {
    const c = new TcpProtocolConnection(ctx, this.out, this.rpc, this, resume);
    this.open.add(c);
    return c;
  }

  /** @internal */
  closed(c: TcpProtocolConnection): void {
    this.open.delete(c);
  }

  /**
   * One UDP datagram: payload b[off, off+len) captured, `wireLen` bytes on the wire (more when
   * cut by snaplen or when this is the first of several IP fragments).
   */
  udp(src: Endpoint, dst: Endpoint, b: Uint8Array, off: number, len: number, wireLen: number, frame: number, sec: number, nsec: number): boolean {
    if (!this.isRpcDatagram(src, dst, b, off, len)) return false;
    bump(this.rawCounters, 'udp_rpc_datagrams');
    const o: RpcOrigin = { src, dst, transport: 'udp', stream: -1 };
    this.rpc.onMessage(b, off, len, Math.max(0, wireLen - len), o, frame, sec, nsec);
    return true;
  }

  private isRpcDatagram(src: Endpoint, dst: Endpoint, b: Uint8Array, off: number, len: number): boolean {
    if (len < 12) return false;
    const mtype = u32be(b, off + 4);
    if (mtype === 0) {
      if (RPC_PORTS.includes(dst.port) || this.rpc.ports.lookup(dst.addr, 'udp', dst.port)) return true;
      return probeCall(b, off, len) === PROBE_YES;
    }
    if (mtype === 1) {
      if (probeReplyShape(b, off, len) !== PROBE_YES) return false;
      return this.rpc.isPending(dst.addr, src.addr, u32be(b, off));
    }
    return false;
  }

  /** End of capture: every connection's open requests become unanswered. */
  finish(): void {
    for (const c of [...this.open]) c.finish();
    this.rpc.finish();
    this.file?.close();
  }
}

/** Stream sink of one direction, forwarding to the connection. */
class DirectionSink implements StreamSink {
  /** kept by the direction's framer once there is one */
  readonly skip: SkipHint = { until: 0 };
  /** the direction's framer (skipped bytes go straight to it) */
  framer: Framer | null = null;
  constructor(private readonly conn: TcpProtocolConnection, private readonly fromClient: boolean) {}
  onSkipped(bytes: number, frame: number, sec: number, nsec: number): void {
    this.framer?.onSkipped(bytes, frame, sec, nsec);
  }
  onData(b: Uint8Array, off: number, len: number, streamOffset: number, frame: number, sec: number, nsec: number): void {
    this.conn.data(this.fromClient, b, off, len, streamOffset, frame, sec, nsec);
  }
  onGap(bytes: number, streamOffset: number, frame: number, reason: GapReason): void {
    this.conn.gap(this.fromClient, bytes, streamOffset, frame, reason);
  }
  onFlush(): void {
    this.conn.flush(this.fromClient);
  }
}

export class TcpProtocolConnection {
  protocol: ConnProtocol = 'undecided';
  /** 'SMB', 'ONC RPC', or a learned program name with its port ('NLM (port 304 learned in frame 12)') */
  label = '';
  readonly fromClient: DirectionSink;
  readonly fromServer: DirectionSink;
  private readonly midstream = [false, false];
  private tries = 0;
  private framers: [Framer, Framer] | null = null;
  private smb: SmbSession | null = null;
  private finished = false;

  constructor(private readonly ctx: ConnContext, private readonly out: ProtoOutput, private readonly rpc: RpcTracker,
    private readonly owner: Dispatcher, resume: UndecidedState | null) {
    this.fromClient = new DirectionSink(this, true);
    this.fromServer = new DirectionSink(this, false);
    if (resume === null) this.decideByPort();
    else {
      this.tries = resume.tries;
      this.midstream[0] = resume.midstream0;
      this.midstream[1] = resume.midstream1;
    }
  }

  private decideByPort(): void {
    const sp = this.ctx.server.port;
    const cp = this.ctx.client.port;
    const byPort = protocolByPort(cp, sp);
    if (byPort !== null) {
      this.choose(byPort, byPort === 'smb' ? 'SMB' : 'ONC RPC');
      return;
    }
    const learned = this.rpc.ports.lookup(this.ctx.server.addr, 'tcp', sp);
    if (learned) {
      const name = programName(learned.program) ?? `RPC program ${learned.program}`;
      this.choose('rpc', `${name} (port ${sp} learned in frame ${learned.frame})`);
      bump(this.out.counters, 'tcp_learned_port_connections');
    }
  }

  private choose(p: ConnProtocol, label: string): void {
    this.protocol = p;
    this.label = label;
    bump(this.out.counters, `tcp_${p}_connections`);
  }

  private build(): [Framer, Framer] {
    const mk = (fromClient: boolean): Framer => {
      const i = fromClient ? 0 : 1;
      const synced = !this.midstream[i];
      if (this.protocol === 'smb') {
        if (!this.smb) this.smb = new SmbSession(this.ctx, this.out);
        const smb = this.smb;
        return new Framer(netbiosFraming, {
          onPdu: (b: Uint8Array, off: number, len: number, info: PduInfo) => smb.onPdu(b, off, len, info, fromClient),
          keep: (b: Uint8Array, off: number, avail: number, wireLen: number) => smb.keep(b, off, avail, wireLen),
        }, synced);
      }
      const src = fromClient ? this.ctx.client : this.ctx.server;
      const dst = fromClient ? this.ctx.server : this.ctx.client;
      const origin: RpcOrigin = { src, dst, transport: 'tcp', stream: this.ctx.stream };
      const rpc = this.rpc;
      const asm = new RecordAssembler(
        (b, off, len, info) => rpc.onMessage(b, off, len, info.missing, origin, info.lastFrame, info.sec, info.nsec, info.places, info.trimmed),
        (b, off, avail) => rpc.replyKeep(origin, b, off, avail),
        rpc.keepsWholeCalls ? null : (b, off, avail, wireLen, placed) => rpc.callKeep(b, off, avail, wireLen, placed));
      // a reply from `src` answers a call made by `dst`
      const f = new Framer(recordFraming((xid) => rpc.isPending(dst.addr, src.addr, xid)), asm, synced);
      if (this.owner.fileWindow !== null) f.useFileWindow(this.owner.fileWindow);
      return f;
    };
    return [mk(true), mk(false)];
  }

  data(fromClient: boolean, b: Uint8Array, off: number, len: number, streamOffset: number, frame: number, sec: number, nsec: number): void {
    if (this.protocol === 'undecided') {
      const p = probeStart(b, off, len);
      if (p !== null) this.choose(p, p === 'smb' ? 'SMB' : 'ONC RPC');
      else if (++this.tries >= MAX_CONTENT_TRIES) this.protocol = 'none';
      if (this.protocol === 'undecided' || this.protocol === 'none') {
        // bytes of an unknown start: a later decision must resynchronise
        this.midstream[fromClient ? 0 : 1] = true;
        return;
      }
    }
    if (this.protocol === 'none') return;
    if (!this.framers) {
      this.framers = this.build();
      this.fromClient.framer = this.framers[0];
      this.fromServer.framer = this.framers[1];
      this.framers[0].useSkipHint(this.fromClient.skip);
      this.framers[1].useSkipHint(this.fromServer.skip);
    }
    this.framers[fromClient ? 0 : 1].onData(b, off, len, streamOffset, frame, sec, nsec);
  }

  gap(fromClient: boolean, bytes: number, streamOffset: number, frame: number, reason: GapReason): void {
    if (!this.framers) {
      if (reason === 'midstream' || bytes > 0) this.midstream[fromClient ? 0 : 1] = true;
      return;
    }
    this.framers[fromClient ? 0 : 1].onGap(bytes, streamOffset, frame, reason);
  }

  /** No more bytes in this direction: deliver a PDU cut short by the end of the capture. */
  flush(fromClient: boolean): void {
    this.framers?.[fromClient ? 0 : 1].flush();
  }

  /** Framing statistics of both directions (null before the protocol is known). */
  framerStats(): [Framer['stats'], Framer['stats']] | null {
    return this.framers ? [this.framers[0].stats, this.framers[1].stats] : null;
  }

  /** The connection ended (or the capture did): SMB requests still open are unanswered. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.smb?.finish();
    this.owner.closed(this);
  }
}
