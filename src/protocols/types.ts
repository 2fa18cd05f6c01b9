// What the protocol layer hands on: one Exchange per request/response pair (or unanswered
// request, orphan response, retransmitted call, one-way message), and for the parity check one
// MessageEvent per decoded message header. Plain data: nothing here refers to frame bytes.

export interface Endpoint {
  addr: string; // printable address (IPv4 dotted, IPv6 colon form)
  port: number;
}

export type ExchangeKind =
  | 'pair' // request and its final response
  | 'unanswered' // request whose response was not seen (end of capture, table eviction)
  | 'orphan_response' // response whose request was not seen
  | 'retransmission' // RPC call repeating a pending call's XID (the pair is reported once, for the original)
  | 'oneway'; // a message that gets no response (SMB2 CANCEL, oplock break notification)

export type ArgValue = string | number | boolean;

export interface RpcRetransmitInfo {
  /** frame of the first transmission of this XID from this client */
  originalFrame: number;
  /** time from the first transmission to this one */
  sinceNs: number;
  /** the original's reply had already been seen when this call went out */
  afterReply: boolean;
  originalReplyFrame: number;
  sameConnection: boolean;
  /** body comparison: 'same', 'different', or 'unknown' (a body was incomplete or not retained) */
  body: 'same' | 'different' | 'unknown';
  /** first differing byte offset within the call body (the procedure arguments), -1 when not different */
  firstDiff: number;
  /** bytes from the XID to the call body (RPC header with credential and verifier), so that
   *  headerLen + firstDiff is the offset from the XID; -1 when not known */
  headerLen: number;
  /** bytes that differ over the compared length (plus any difference in length), 0 when the
   *  bodies are the same, -1 when they could not be compared */
  differingBytes: number;
  /** hex of up to 16 bytes from firstDiff, original and retransmission */
  originalHex: string;
  retransmitHex: string;
}

/** NFS WRITE call: what a later data comparison needs. Offsets are within the call body (the
 *  procedure arguments, after the RPC header with credential and verifier). */
export interface WriteInfo {
  fileOffset: number;
  count: number;
  stable: number;
  dataOffset: number;
  dataLength: number;
}

export interface Exchange {
  protocol: 'smb2' | 'smb1' | 'rpc';
  /** 'SMB2', 'SMB1', 'NFSv3', 'MOUNTv3', 'portmapv2', 'RPC 100232v10' ... */
  service: string;
  /** command or procedure name ('READ', 'GETPORT', 'COMPOUND') */
  command: string;
  /** RPC program/version/procedure; for SMB2 program = 0, version = 2, procedure = command code */
  program: number;
  version: number;
  procedure: number;
  /** RPC XID or SMB2 MessageId */
  id: number;
  kind: ExchangeKind;
  /** 0 when not seen; frames where the message completed (as tshark attributes them) */
  requestFrame: number;
  responseFrame: number;
  /** SMB2 interim (STATUS_PENDING) responses */
  interimFrames: number[];
  requestNs: bigint | null;
  responseNs: bigint | null;
  /** response time in ns, -1 when not paired */
  latencyNs: number;
  /** status name ('STATUS_SUCCESS', 'NFS3_OK', 'SUCCESS'), '' when no response */
  status: string;
  statusCode: number;
  args: Record<string, ArgValue>;
  client: Endpoint;
  server: Endpoint;
  transport: 'tcp' | 'udp';
  /** TCP connection index, -1 for UDP */
  stream: number;
  retransmit?: RpcRetransmitInfo;
  write?: WriteInfo;
}

export type ExchangeSink = (e: Exchange) => void;

/** One decoded message header, for parity against tshark's per-frame fields. -1 = not applicable. */
export interface MessageEvent {
  frame: number;
  kind: 'smb2' | 'rpc';
  smbCmd: number;
  smbMsgId: number;
  xid: number;
  msgType: number;
  program: number;
  procedure: number;
}

export type MessageSink = (m: MessageEvent) => void;

/**
 * What a consumer reads of the exchanges, so that the pass can leave out work nobody reads. The
 * defaults (everything on) are what exchanges, diagnose and the report need; `srt` turns both
 * off (it reads kind, service, command, procedure and latency only). Neither flag changes which
 * requests pair with which responses, nor any latency, service, command or procedure.
 */
export interface ProtocolOptions {
  /**
   * RPC: keep a copy of every call's arguments (up to MAX_RETAINED_TOTAL bytes) and remember the
   * last MAX_RECENT_CALLS answered calls, so that a retransmitted call is compared with its first
   * transmission (RpcRetransmitInfo.body and the fields after it) and a late retransmission or a
   * duplicate reply is recognised as such (incident C). Off: a retransmission of a call still
   * pending is reported as before but with body 'unknown'; a call repeating an answered call's XID
   * is a new call (no retransmit info), a second reply to an answered call an orphan response.
   * Default true.
   */
  retransmissionDetail?: boolean;
  /**
   * Decode per-command arguments (Exchange.args, Exchange.write: names, file-handle
   * fingerprints, offsets, FileIds, NFS result fields). Off: args is an empty object and write is
   * absent, and the framer stores only the message headers of calls and requests; portmap/rpcbind
   * arguments are still decoded (the ports learned from their replies decide how later
   * connections are decoded). Default true.
   */
  args?: boolean;
}

/** ProtocolOptions with every flag resolved. */
export interface ResolvedProtocolOptions {
  retransmissionDetail: boolean;
  args: boolean;
}

export function resolveProtocolOptions(o: ProtocolOptions = {}): ResolvedProtocolOptions {
  return { retransmissionDetail: o.retransmissionDetail ?? true, args: o.args ?? true };
}

/** Per-connection context the dispatcher passes to a protocol session. */
export interface ConnContext {
  transport: 'tcp' | 'udp';
  stream: number;
  /** side that sent the first SYN (or the guessed client) and its peer */
  client: Endpoint;
  server: Endpoint;
}

/** Counters kept per trace under stable snake_case codes. */
export type ProtoCounters = Record<string, number>;

export function bump(c: ProtoCounters, code: string, n = 1): void {
  c[code] = (c[code] ?? 0) + n;
}

/**
 * The Exchange the decoders make. The two times are kept as (sec, nsec) numbers and
 * requestNs / responseNs are getters that make the bigint when read: most consumers never read
 * them (srt, the rules but one), and two bigints per exchange were a visible part of the pass.
 * The values are those of bytes/time.ts toNs(sec, nsec), non-null exactly when the frame is.
 */
export class ExchangeRecord implements Exchange {
  declare retransmit?: RpcRetransmitInfo;
  declare write?: WriteInfo;

  constructor(
    public protocol: Exchange['protocol'],
    public service: string,
    public command: string,
    public program: number,
    public version: number,
    public procedure: number,
    public id: number,
    public kind: ExchangeKind,
    public requestFrame: number,
    public responseFrame: number,
    public interimFrames: number[],
    /** request and response times (valid when the frame is > 0) */
    public requestSec: number,
    public requestNsec: number,
    public responseSec: number,
    public responseNsec: number,
    public latencyNs: number,
    public status: string,
    public statusCode: number,
    public args: Record<string, ArgValue>,
    public client: Endpoint,
    public server: Endpoint,
    public transport: 'tcp' | 'udp',
    public stream: number,
  ) {}

  get requestNs(): bigint | null {
    return this.requestFrame > 0 ? epochNs(this.requestSec, this.requestNsec) : null;
  }

  get responseNs(): bigint | null {
    return this.responseFrame > 0 ? epochNs(this.responseSec, this.responseNsec) : null;
  }
}

/** Exchange.interimFrames of every exchange without interim responses: one shared, frozen empty
 *  array instead of one per exchange (consumers only read it). */
export const NO_FRAMES: number[] = Object.freeze([]) as unknown as number[];

const NS_PER_S = 1_000_000_000n;
let cachedSec = Number.NaN;
let cachedSecNs = 0n;

/** Epoch nanoseconds, the value of bytes/time.ts toNs(sec, nsec), with the last second's product
 *  cached: messages come in runs within one second, so most cost one BigInt and an addition
 *  instead of two BigInts, a multiplication and an addition (two per exchange). */
export function epochNs(sec: number, nsec: number): bigint {
  if (sec !== cachedSec) {
    cachedSecNs = BigInt(sec) * NS_PER_S;
    cachedSec = sec;
  }
  return cachedSecNs + BigInt(nsec);
}

/** Time difference b - a in ns from (sec, nsec) pairs (exact for durations below ~104 days). */
export function diffNs(aSec: number, aNsec: number, bSec: number, bNsec: number): number {
  return (bSec - aSec) * 1e9 + (bNsec - aNsec);
}
