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
 * defaults (everything on) are what `exchanges` needs; diagnose keeps the retransmission detail
 * and decodes the arguments its rules read (args 'diagnose'); `srt` turns both off (it reads
 * kind, service, command, procedure and latency only). Neither flag changes which requests pair
 * with which responses, nor any latency, status, service, command or procedure.
 */
export interface ProtocolOptions {
  /**
   * RPC: keep every call's arguments (up to MAX_RETAINED_TOTAL bytes; a copy, or their places in
   * the capture file with `captureFile`) and remember the
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
   * fingerprints, offsets, FileIds, NFS result fields). true or absent: all of them. false:
   * args is an empty object and write is absent, and the framer stores only the message headers
   * of calls and requests; portmap/rpcbind arguments are still decoded (the ports learned from
   * their replies decide how later connections are decoded). 'diagnose': what diagnose's rules
   * read and no more (ArgsLevel below), the rest as with false.
   */
  args?: boolean | 'diagnose';
  /**
   * The path of the capture the frames come from. With it, the RPC call arguments kept for the
   * retransmission comparison are kept as their places in the file when the frames have file
   * positions (Frame.filePos >= 0: a regular, uncompressed file) and read back when a
   * retransmission is compared, instead of being copied (places.ts, rpc/retained.ts). The results
   * are the same; standard input and gzip keep the copies.
   */
  captureFile?: string;
}

/**
 * ProtocolOptions.args: 'diagnose' decodes the arguments diagnose reads (DIAGNOSE_ARG_FIELDS; a
 * test in types.test.ts scans the rules, the analysis and the report for any other) and leaves
 * the others' args empty:
 * - NFSv4 COMPOUND and CB_COMPOUND calls in full: their operation list `ops` tells a RENEW or
 *   SEQUENCE heartbeat (analysis/views.ts heartbeatKind) and names a rejected call
 *   (rpc/call-rejected);
 * - portmap/rpcbind calls (decoded at every level): `port` (syn-attempts.ts);
 * - SMB2 TREE_CONNECT: the share `path` (smb2/tree-connect-failed); no other SMB2 command;
 * - the WriteInfo of an RPC call whose retransmission differs from its first transmission (the
 *   rule names the WRITE's offset and count), decoded from the retransmission's own bytes once the
 *   comparison says 'different': the same bytes and decoder as at level 'all', so the same value.
 * Every field diagnose reads is the one level 'all' gives; only fields it does not read are absent.
 */
export type ArgsLevel = 'all' | 'diagnose' | 'none';

/** The Exchange.args fields level 'diagnose' decodes (all that diagnose reads). */
export const DIAGNOSE_ARG_FIELDS: readonly string[] = ['ops', 'port', 'path'];

/** ProtocolOptions with every flag resolved. */
export interface ResolvedProtocolOptions {
  retransmissionDetail: boolean;
  args: ArgsLevel;
  captureFile: string | null;
}

export function resolveProtocolOptions(o: ProtocolOptions = {}): ResolvedProtocolOptions {
  const a = o.args ?? true;
  return {
    retransmissionDetail: o.retransmissionDetail ?? true, args: a === true ? 'all' : a === false ? 'none' : a, captureFile: o.captureFile ?? null,
  };
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
 * The Exchange the decoders make: a row in a chunk of columns (ExchangeChunk), read through
 * getters. A consumer that keeps exchanges (diagnose keeps up to 200,000 of them) then keeps one
 * two-field object per exchange instead of a 25-field record with four boxed numbers (the
 * epoch seconds and large latencies do not fit a small integer): on the SMB2 bench capture the
 * young-generation collector's copying of the kept records was about 300 ms of a 2.5 s diagnose.
 * The values are those the constructor is given; requestNs / responseNs make the bigint when
 * read (bytes/time.ts toNs(sec, nsec)), non-null exactly when the frame is. `retransmit` and
 * `write` may be set once after construction (before the exchange is handed out).
 *
 * Chunks hold ROWS_PER_CHUNK exchanges, filled in order by every pass of the process; a chunk is
 * collected when none of its exchanges is referenced, so a consumer that keeps one exchange keeps
 * at most one chunk with it (ROWS_PER_CHUNK bounds that overhead), one that keeps none (srt,
 * exchanges) keeps nothing.
 */
export class ExchangeRecord implements Exchange {
  private readonly c: ExchangeChunk;
  private readonly r: number;

  constructor(
    protocol: Exchange['protocol'],
    service: string,
    command: string,
    program: number,
    version: number,
    procedure: number,
    id: number,
    kind: ExchangeKind,
    requestFrame: number,
    responseFrame: number,
    interimFrames: number[],
    /** request and response times (valid when the frame is > 0) */
    requestSec: number,
    requestNsec: number,
    responseSec: number,
    responseNsec: number,
    latencyNs: number,
    status: string,
    statusCode: number,
    args: Record<string, ArgValue>,
    client: Endpoint,
    server: Endpoint,
    transport: 'tcp' | 'udp',
    stream: number,
  ) {
    let c = fillChunk;
    if (c.used === ROWS_PER_CHUNK) fillChunk = c = new ExchangeChunk();
    const r = c.used++;
    this.c = c;
    this.r = r;
    const n = c.num;
    const i = r * NUMS;
    n[i + N_PROGRAM] = program;
    n[i + N_VERSION] = version;
    n[i + N_PROCEDURE] = procedure;
    n[i + N_ID] = id;
    n[i + N_REQUEST_FRAME] = requestFrame;
    n[i + N_RESPONSE_FRAME] = responseFrame;
    n[i + N_REQUEST_SEC] = requestSec;
    n[i + N_REQUEST_NSEC] = requestNsec;
    n[i + N_RESPONSE_SEC] = responseSec;
    n[i + N_RESPONSE_NSEC] = responseNsec;
    n[i + N_LATENCY] = latencyNs;
    n[i + N_STATUS_CODE] = statusCode;
    n[i + N_STREAM] = stream;
    const o = c.obj;
    const j = r * OBJS;
    o[j + O_PROTOCOL] = protocol;
    o[j + O_SERVICE] = service;
    o[j + O_COMMAND] = command;
    o[j + O_KIND] = kind;
    o[j + O_INTERIM] = interimFrames;
    o[j + O_STATUS] = status;
    o[j + O_ARGS] = args;
    o[j + O_CLIENT] = client;
    o[j + O_SERVER] = server;
    o[j + O_TRANSPORT] = transport;
    // O_RETRANSMIT, O_WRITE: undefined until set
  }

  private numAt(f: number): number {
    return this.c.num[this.r * NUMS + f];
  }

  private objAt(f: number): unknown {
    return this.c.obj[this.r * OBJS + f];
  }

  get protocol(): Exchange['protocol'] { return this.objAt(O_PROTOCOL) as Exchange['protocol']; }
  get service(): string { return this.objAt(O_SERVICE) as string; }
  get command(): string { return this.objAt(O_COMMAND) as string; }
  get program(): number { return this.numAt(N_PROGRAM); }
  get version(): number { return this.numAt(N_VERSION); }
  get procedure(): number { return this.numAt(N_PROCEDURE); }
  get id(): number { return this.numAt(N_ID); }
  get kind(): ExchangeKind { return this.objAt(O_KIND) as ExchangeKind; }
  get requestFrame(): number { return this.numAt(N_REQUEST_FRAME); }
  get responseFrame(): number { return this.numAt(N_RESPONSE_FRAME); }
  get interimFrames(): number[] { return this.objAt(O_INTERIM) as number[]; }
  get requestSec(): number { return this.numAt(N_REQUEST_SEC); }
  get requestNsec(): number { return this.numAt(N_REQUEST_NSEC); }
  get responseSec(): number { return this.numAt(N_RESPONSE_SEC); }
  get responseNsec(): number { return this.numAt(N_RESPONSE_NSEC); }
  get latencyNs(): number { return this.numAt(N_LATENCY); }
  get status(): string { return this.objAt(O_STATUS) as string; }
  get statusCode(): number { return this.numAt(N_STATUS_CODE); }
  get args(): Record<string, ArgValue> { return this.objAt(O_ARGS) as Record<string, ArgValue>; }
  get client(): Endpoint { return this.objAt(O_CLIENT) as Endpoint; }
  get server(): Endpoint { return this.objAt(O_SERVER) as Endpoint; }
  get transport(): 'tcp' | 'udp' { return this.objAt(O_TRANSPORT) as 'tcp' | 'udp'; }
  get stream(): number { return this.numAt(N_STREAM); }

  get retransmit(): RpcRetransmitInfo | undefined { return this.objAt(O_RETRANSMIT) as RpcRetransmitInfo | undefined; }
  set retransmit(v: RpcRetransmitInfo | undefined) { this.c.obj[this.r * OBJS + O_RETRANSMIT] = v; }
  get write(): WriteInfo | undefined { return this.objAt(O_WRITE) as WriteInfo | undefined; }
  set write(v: WriteInfo | undefined) { this.c.obj[this.r * OBJS + O_WRITE] = v; }

  /** What JSON.stringify made of the record when its fields were own properties: the same keys
   *  in the same order (retransmit and write only when set). */
  toJSON(): Record<string, unknown> {
    const j: Record<string, unknown> = {
      protocol: this.protocol, service: this.service, command: this.command, program: this.program, version: this.version,
      procedure: this.procedure, id: this.id, kind: this.kind, requestFrame: this.requestFrame, responseFrame: this.responseFrame,
      interimFrames: this.interimFrames, requestSec: this.requestSec, requestNsec: this.requestNsec, responseSec: this.responseSec,
      responseNsec: this.responseNsec, latencyNs: this.latencyNs, status: this.status, statusCode: this.statusCode, args: this.args,
      client: this.client, server: this.server, transport: this.transport, stream: this.stream,
    };
    if (this.retransmit !== undefined) j.retransmit = this.retransmit;
    if (this.write !== undefined) j.write = this.write;
    return j;
  }

  get requestNs(): bigint | null {
    return this.requestFrame > 0 ? epochNs(this.requestSec, this.requestNsec) : null;
  }

  get responseNs(): bigint | null {
    return this.responseFrame > 0 ? epochNs(this.responseSec, this.responseNsec) : null;
  }
}

/** Exchanges per chunk: small enough that a consumer keeping a few scattered exchanges keeps
 *  little with each (a chunk is ROWS_PER_CHUNK * (NUMS * 8 + OBJS * 4) bytes, about 40 KB),
 *  large enough that chunks are few (one allocation per 256 exchanges). */
export const ROWS_PER_CHUNK = 256;

// numeric columns (every value is an exact double: frame numbers, 32-bit ids and codes, times)
const N_PROGRAM = 0;
const N_VERSION = 1;
const N_PROCEDURE = 2;
const N_ID = 3;
const N_REQUEST_FRAME = 4;
const N_RESPONSE_FRAME = 5;
const N_REQUEST_SEC = 6;
const N_REQUEST_NSEC = 7;
const N_RESPONSE_SEC = 8;
const N_RESPONSE_NSEC = 9;
const N_LATENCY = 10;
const N_STATUS_CODE = 11;
const N_STREAM = 12;
const NUMS = 13;
// object columns (strings are mostly shared constants; args and the endpoints are objects)
const O_PROTOCOL = 0;
const O_SERVICE = 1;
const O_COMMAND = 2;
const O_KIND = 3;
const O_INTERIM = 4;
const O_STATUS = 5;
const O_ARGS = 6;
const O_CLIENT = 7;
const O_SERVER = 8;
const O_TRANSPORT = 9;
const O_RETRANSMIT = 10;
const O_WRITE = 11;
const OBJS = 12;

/** ROWS_PER_CHUNK exchanges in columns; rows are filled in order and never change after (but
 *  for retransmit/write, set right after the row is made). */
class ExchangeChunk {
  used = 0;
  readonly num = new Float64Array(ROWS_PER_CHUNK * NUMS);
  readonly obj: unknown[] = new Array<unknown>(ROWS_PER_CHUNK * OBJS).fill(undefined);
}

/** the chunk new exchanges go to (shared by every pass of the process: a pass's exchanges are
 *  contiguous runs in it, and nothing but the exchanges refers to a full chunk) */
let fillChunk = new ExchangeChunk();

/** A plain copy of an exchange's fields (for tests comparing exchanges deeply, and for any
 *  consumer that wants an own-property object). Optional fields absent when unset. */
export function plainExchange(e: Exchange): Exchange {
  const p: Exchange = {
    protocol: e.protocol, service: e.service, command: e.command, program: e.program, version: e.version,
    procedure: e.procedure, id: e.id, kind: e.kind, requestFrame: e.requestFrame, responseFrame: e.responseFrame,
    interimFrames: e.interimFrames, requestNs: e.requestNs, responseNs: e.responseNs, latencyNs: e.latencyNs,
    status: e.status, statusCode: e.statusCode, args: e.args, client: e.client, server: e.server,
    transport: e.transport, stream: e.stream,
  };
  if (e.retransmit !== undefined) p.retransmit = e.retransmit;
  if (e.write !== undefined) p.write = e.write;
  return p;
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
