// One SMB connection: decodes each NetBIOS PDU (SMB2 header chain, SMB1 negotiate, transform
// and compression headers) and pairs SMB2 requests with responses by MessageId.
//
// Pairing (MS-SMB2 3.2.5.1, 3.3.4.4): a response carries the MessageId of its request. A
// response with SMB2_FLAGS_ASYNC_COMMAND and STATUS_PENDING is an interim response: the request
// stays open, the final (async) response closes it. CANCEL (MS-SMB2 2.2.30) gets no response of
// its own; it names the request by MessageId (sync) or AsyncId (async), and that request then
// usually ends with STATUS_CANCELLED. A compound chain (NextCommand) holds several messages,
// each paired on its own. An oplock break from the server (MessageId all ones) is one-way.

import { u16le, u32be, u32le, u8 } from '../../bytes/reader.js';
import type { PduInfo } from '../framer.js';
import type { ProtoOutput } from '../output.js';
import { bump, diffNs, ExchangeRecord, NO_FRAMES, type ConnContext, type Endpoint, type Exchange, type ExchangeKind } from '../types.js';
import type { CommandDecoder, Smb2Args } from './args.js';
import { decodeClose } from './close.js';
import {
  SMB1_MAGIC, SMB2_CANCEL, SMB2_CLOSE, SMB2_COMPRESSION_MAGIC, SMB2_CREATE, SMB2_ECHO,
  SMB2_FLAGS_ASYNC_COMMAND, SMB2_FLAGS_RELATED_OPERATIONS, SMB2_FLAGS_SERVER_TO_REDIR,
  SMB2_HEADER_LEN, SMB2_MAGIC, SMB2_NEGOTIATE, SMB2_READ, SMB2_TRANSFORM_MAGIC, SMB2_TREE_CONNECT,
  SMB2_WRITE, STATUS_PENDING, ntStatusName, smb2CommandName,
} from './constants.js';
import { decodeCreate } from './create.js';
import { decodeEcho } from './echo.js';
import { newSmb2Header, parseSmb2Header } from './header.js';
import { NB_HEADER_LEN, NB_SESSION_MESSAGE } from './netbios.js';
import { decodeNegotiate } from './negotiate.js';
import { decodeRead, READ_BODY_BYTES_READ } from './read.js';
import { decodeTreeConnect } from './tree_connect.js';
import { decodeWrite, WRITE_BODY_BYTES_READ } from './write.js';
import { KEEP_UNDECIDED } from '../framer.js';

/** Outstanding requests per connection: SMB2 servers grant at most a few thousand credits
 *  (Windows defaults to 512, up to 8192), so more pending than this means lost responses. */
export const MAX_SMB2_PENDING = 8192;
/** A compound chain longer than this is treated as malformed (real chains hold 2-5 messages). */
const MAX_CHAIN = 64;
/** SMB1 negotiate command (MS-CIFS 2.2.4.52) */
const SMB_COM_NEGOTIATE = 0x72;

const DECODERS: Partial<Record<number, CommandDecoder>> = {
  [SMB2_NEGOTIATE]: decodeNegotiate,
  [SMB2_TREE_CONNECT]: decodeTreeConnect,
  [SMB2_CREATE]: decodeCreate,
  [SMB2_CLOSE]: decodeClose,
  [SMB2_READ]: decodeRead,
  [SMB2_WRITE]: decodeWrite,
  [SMB2_ECHO]: decodeEcho,
};

/** The decoders of ProtocolOptions.args 'diagnose': the commands whose arguments diagnose's rules
 *  read (smb2/tree-connect-failed names the share path; see types.ts ArgsLevel). */
const DIAGNOSE_DECODERS: Partial<Record<number, CommandDecoder>> = {
  [SMB2_TREE_CONNECT]: decodeTreeConnect,
};
const NO_DECODERS: Partial<Record<number, CommandDecoder>> = {};

/** Body bytes a decoder reads at most, for the commands whose messages carry bulk data; the
 *  framer stores no more of a lone message (NextCommand 0) of these commands. */
const BODY_BYTES_READ: Partial<Record<number, number>> = {
  [SMB2_READ]: READ_BODY_BYTES_READ,
  [SMB2_WRITE]: WRITE_BODY_BYTES_READ,
};
/** Bytes of a non-SMB2 PDU read: NetBIOS header, the magic and SMB1's command byte. */
const OTHER_MAGIC_BYTES_READ = NB_HEADER_LEN + 5;
/** Arguments of every exchange when they are not decoded (ProtocolOptions.args off): never written. */
const NO_ARGS: Smb2Args = Object.freeze({}) as Smb2Args;

interface Pending {
  msgId: number;
  command: number;
  frame: number;
  sec: number;
  nsec: number;
  args: Smb2Args;
  interim: number[];
  asyncId: number;
  fromClient: boolean;
}

export class SmbSession {
  private readonly pending = new Map<number, Pending>();
  private readonly h = newSmb2Header();
  /** ProtocolOptions.args 'all': every exchange gets its own args (compound, cancel links) */
  private readonly decodeArgs: boolean;
  /** the commands decoded at this level */
  private readonly decoders: Partial<Record<number, CommandDecoder>>;

  constructor(private readonly ctx: ConnContext, private readonly out: ProtoOutput) {
    const level = out.options.args;
    this.decodeArgs = level === 'all';
    this.decoders = level === 'all' ? DECODERS : level === 'diagnose' ? DIAGNOSE_DECODERS : NO_DECODERS;
  }

  /**
   * PduSink.keep(): how many bytes of a NetBIOS PDU being collected (its first `avail` bytes at
   * b[off]) the decoding below reads. A lone SMB2 message needs its header, plus the fixed part
   * of its body when its command has a decoder; READ response and WRITE request data is never
   * read. Compound chains and commands with variable decoded fields are kept whole. Without
   * argument decoding a lone message needs its header only.
   */
  keep(b: Uint8Array, off: number, avail: number, wireLen: number): number {
    if (b[off] !== NB_SESSION_MESSAGE) return wireLen;
    if (avail < NB_HEADER_LEN + 4) return KEEP_UNDECIDED;
    const p = off + NB_HEADER_LEN;
    if (u32be(b, p) !== SMB2_MAGIC) return OTHER_MAGIC_BYTES_READ;
    if (avail < NB_HEADER_LEN + SMB2_HEADER_LEN) return KEEP_UNDECIDED;
    if (u32le(b, p + 20) !== 0) return wireLen; // NextCommand: a compound chain
    const command = u16le(b, p + 12);
    if (this.decoders[command] === undefined) return NB_HEADER_LEN + SMB2_HEADER_LEN;
    const body = BODY_BYTES_READ[command];
    return body === undefined ? wireLen : NB_HEADER_LEN + SMB2_HEADER_LEN + body;
  }

  onPdu(b: Uint8Array, off: number, len: number, info: PduInfo, fromClient: boolean): void {
    const c = this.out.counters;
    if (len < NB_HEADER_LEN || b[off] !== NB_SESSION_MESSAGE) {
      bump(c, 'netbios_control');
      return;
    }
    const end = off + len;
    const p = off + NB_HEADER_LEN;
    if (end - p < 4) {
      if (info.wireLen > NB_HEADER_LEN) bump(c, 'smb_truncated');
      return;
    }
    switch (u32be(b, p)) {
      case SMB2_MAGIC:
        this.chain(b, p, end, info, fromClient);
        return;
      case SMB1_MAGIC:
        bump(c, 'smb1_messages');
        if (end - p > 4 && u8(b, p + 4) === SMB_COM_NEGOTIATE) bump(c, 'smb1_negotiate');
        return;
      case SMB2_TRANSFORM_MAGIC:
        bump(c, 'smb2_encrypted');
        return;
      case SMB2_COMPRESSION_MAGIC:
        bump(c, 'smb2_compressed');
        return;
      default:
        bump(c, 'smb_unknown_magic');
    }
  }

  private chain(b: Uint8Array, p: number, end: number, info: PduInfo, fromClient: boolean): void {
    const h = this.h;
    const c = this.out.counters;
    for (let i = 0; i < MAX_CHAIN; i++) {
      const r = parseSmb2Header(b, p, end, h);
      if (r !== 'ok') {
        bump(c, r === 'truncated' ? 'smb2_header_truncated' : 'smb2_header_malformed');
        return;
      }
      const next = h.nextCommand;
      const msgEnd = next !== 0 && p + next <= end ? p + next : end;
      bump(c, 'smb2_messages');
      this.out.message?.({
        frame: info.lastFrame, kind: 'smb2', smbCmd: h.command, smbMsgId: h.messageId, xid: -1,
        msgType: -1, program: -1, procedure: -1,
      });
      this.message(b, p, msgEnd, info, fromClient, i > 0 || (h.flags & SMB2_FLAGS_RELATED_OPERATIONS) !== 0);
      if (next === 0) return;
      if (next < SMB2_HEADER_LEN || p + next > end) {
        bump(c, 'smb2_bad_next_command');
        return;
      }
      p += next;
    }
    bump(c, 'smb2_chain_too_long');
  }

  private message(b: Uint8Array, p: number, end: number, info: PduInfo, fromClient: boolean, compound: boolean): void {
    const h = this.h;
    const c = this.out.counters;
    const response = (h.flags & SMB2_FLAGS_SERVER_TO_REDIR) !== 0;
    const decode = this.decoders[h.command];
    if (!response) {
      const args: Smb2Args = this.decodeArgs || decode !== undefined ? {} : NO_ARGS;
      if (compound && this.decodeArgs) args.compound = true;
      if (decode) decode(b, p, p + SMB2_HEADER_LEN, end, false, args);
      if (h.command === SMB2_CANCEL) {
        this.cancel(args, info, fromClient);
        return;
      }
      if (this.pending.has(h.messageId)) bump(c, 'smb2_duplicate_message_id');
      if (this.pending.size >= MAX_SMB2_PENDING) this.evictOldest();
      this.pending.set(h.messageId, {
        msgId: h.messageId, command: h.command, frame: info.lastFrame, sec: info.sec, nsec: info.nsec,
        args, interim: NO_FRAMES, asyncId: h.asyncId, fromClient,
      });
      return;
    }
    const req = this.pending.get(h.messageId);
    if ((h.flags & SMB2_FLAGS_ASYNC_COMMAND) !== 0 && h.status === STATUS_PENDING) {
      // interim response: the request stays open until the final async response
      bump(c, 'smb2_interim_responses');
      if (req) {
        if (req.interim === NO_FRAMES) req.interim = [];
        req.interim.push(info.lastFrame);
        req.asyncId = h.asyncId;
      }
      return;
    }
    const args: Smb2Args = req ? req.args : this.decodeArgs || decode !== undefined ? {} : NO_ARGS;
    // (a request of another command may have left NO_ARGS: never written)
    if (decode && args !== NO_ARGS) decode(b, p, p + SMB2_HEADER_LEN, end, true, args);
    if (!req) {
      const kind: ExchangeKind = h.messageId === -1 ? 'oneway' : 'orphan_response';
      bump(c, kind === 'oneway' ? 'smb2_notifications' : 'smb2_orphan_responses');
      this.emit(kind, h.command, h.messageId, 0, 0, 0, info.lastFrame, info.sec, info.nsec, h.status, args, [], !fromClient);
      return;
    }
    this.pending.delete(h.messageId);
    if (req.command !== h.command) bump(c, 'smb2_response_command_mismatch');
    this.emit('pair', req.command, req.msgId, req.frame, req.sec, req.nsec, info.lastFrame, info.sec, info.nsec,
      h.status, args, req.interim, req.fromClient);
  }

  private cancel(args: Smb2Args, info: PduInfo, fromClient: boolean): void {
    const h = this.h;
    bump(this.out.counters, 'smb2_cancels');
    let target: Pending | undefined;
    if ((h.flags & SMB2_FLAGS_ASYNC_COMMAND) !== 0) {
      for (const p of this.pending.values()) if (p.asyncId === h.asyncId) target = p;
    } else {
      target = this.pending.get(h.messageId);
    }
    if (target && this.decodeArgs) {
      args.cancels = smb2CommandName(target.command);
      args.cancelsFrame = target.frame;
      target.args.cancelFrame = info.lastFrame;
    }
    this.emit('oneway', SMB2_CANCEL, h.messageId, info.lastFrame, info.sec, info.nsec, 0, 0, 0, -1, args, [], fromClient);
  }

  private evictOldest(): void {
    const first = this.pending.values().next();
    if (first.done) return;
    const p = first.value;
    this.pending.delete(p.msgId);
    bump(this.out.counters, 'smb2_pending_evicted');
    this.emitPendingUnanswered(p);
  }

  private emitPendingUnanswered(p: Pending): void {
    this.emit('unanswered', p.command, p.msgId, p.frame, p.sec, p.nsec, 0, 0, 0, -1, p.args, p.interim, p.fromClient);
  }

  /** End of the connection or capture: requests still open are unanswered. */
  finish(): void {
    for (const p of this.pending.values()) this.emitPendingUnanswered(p);
    this.pending.clear();
  }

  private emit(kind: ExchangeKind, command: number, msgId: number, reqFrame: number, reqSec: number, reqNsec: number,
    resFrame: number, resSec: number, resNsec: number, status: number, args: Smb2Args, interim: number[], reqFromClient: boolean): void {
    const ctx = this.ctx;
    const client: Endpoint = reqFromClient ? ctx.client : ctx.server;
    const server: Endpoint = reqFromClient ? ctx.server : ctx.client;
    const e: Exchange = new ExchangeRecord('smb2', 'SMB2', smb2CommandName(command), 0, 2, command, msgId, kind,
      reqFrame, resFrame, interim, reqSec, reqNsec, resSec, resNsec,
      reqFrame > 0 && resFrame > 0 ? diffNs(reqSec, reqNsec, resSec, resNsec) : -1,
      status >= 0 ? ntStatusName(status) : '', status, args, client, server, ctx.transport, ctx.stream);
    this.out.exchange(e);
  }
}
