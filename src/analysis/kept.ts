// A kept connection: the tracker's record, the per-connection facts, and its key segments as a run
// of rows in the trace's SegmentStore. `keySegments` builds the SegmentFact objects on first use
// and keeps them (a rule that reads them once will read them again, and object identity stays
// stable); connections no rule and no renderer asks about never get them.
//
// The numeric facts (health, handshake, keep-alive counts, omitted segments) are a row of the
// trace's ConnFactTable, one Float64Array: `health`, `connect` and `keepAlives` build a new object
// on every read (a rule reads them once per connection; short-lived objects cost the garbage
// collector nearly nothing, while one object per kept connection that lives as long as the trace
// is copied by every young-generation collection and then promoted: 100,000 connections made
// that a quarter of diagnose's time).

import type { ConnRecord, DirRecord } from '../tcp/tracker.js';
import type { LabelName } from '../tcp/labels.js';
import type { SegmentStore } from './segment-store.js';
import type { ConnHealth, ConnectionFacts, SegmentFact } from './trace.js';

/** Fields of a row of ConnFactTable. */
const F_DATA0 = 0, F_DATA1 = 1, F_RETR0 = 2, F_RETR1 = 3, F_DUPS = 4, F_FIRST_DUP = 5, F_RTO_STALLS = 6, F_MAX_RTO_NS = 7,
  F_MAX_RTO_FRAME = 8, F_MAX_RTO_DIR = 9, F_ZW = 10, F_MAX_ZW_NS = 11, F_ZW_FRAME = 12, F_ZW_END_FRAME = 13, F_ZW_DIR = 14,
  F_SYN_FRAME = 15, F_SYN_REL = 16, F_SYNACK_FRAME = 17, F_SYNACK_REL = 18, F_KA_ZERO = 19, F_KA_ONE = 20, F_OMITTED = 21;
const FIELDS = 22;
const INITIAL_ROWS = 1024;
const NO_KEEP_ALIVES = Object.freeze({ zeroByte: 0, oneByte: 0 });

/** The numeric facts of a kept connection as analyse.ts hands them over (the handshake times
 *  relative to the capture's first frame, ns; synAckFrame 0 = no handshake seen). */
export interface NumericFacts {
  health: ConnHealth;
  synFrame: number;
  synRel: number;
  synAckFrame: number;
  synAckRel: number;
  zeroByteKa: number;
  oneByteKa: number;
  segmentsOmitted: number;
}

/** Numeric facts of every kept connection of a trace, a row of FIELDS numbers each (bounded by
 *  the kept connections, trace.ts). */
export class ConnFactTable {
  length = 0;
  private v: Float64Array = new Float64Array(INITIAL_ROWS * FIELDS);

  /** A new row, all zero (a connection whose segments were not seen: no health, no handshake). */
  add(): number {
    if ((this.length + 1) * FIELDS > this.v.length) {
      const n = new Float64Array(this.v.length * 2);
      n.set(this.v);
      this.v = n;
    }
    return this.length++;
  }

  /** Writes row k's health fields (the other fields are set one by one with `set`). */
  setHealth(k: number, h: ConnHealth): void {
    const v = this.v;
    const o = k * FIELDS;
    v[o + F_DATA0] = h.dataSegments[0];
    v[o + F_DATA1] = h.dataSegments[1];
    v[o + F_RETR0] = h.retransmittedData[0];
    v[o + F_RETR1] = h.retransmittedData[1];
    v[o + F_DUPS] = h.captureDuplicates;
    v[o + F_FIRST_DUP] = h.firstDuplicateFrame;
    v[o + F_RTO_STALLS] = h.rtoStalls;
    v[o + F_MAX_RTO_NS] = h.maxRtoStallNs;
    v[o + F_MAX_RTO_FRAME] = h.maxRtoStallFrame;
    v[o + F_MAX_RTO_DIR] = h.maxRtoStallDir;
    v[o + F_ZW] = h.zeroWindows;
    v[o + F_MAX_ZW_NS] = h.maxZeroWindowNs;
    v[o + F_ZW_FRAME] = h.zeroWindowFrame;
    v[o + F_ZW_END_FRAME] = h.zeroWindowEndFrame;
    v[o + F_ZW_DIR] = h.zeroWindowDir;
  }

  setOther(k: number, synFrame: number, synRel: number, synAckFrame: number, synAckRel: number, zeroByteKa: number, oneByteKa: number, omitted: number): void {
    const v = this.v;
    const o = k * FIELDS;
    v[o + F_SYN_FRAME] = synFrame;
    v[o + F_SYN_REL] = synRel;
    v[o + F_SYNACK_FRAME] = synAckFrame;
    v[o + F_SYNACK_REL] = synAckRel;
    v[o + F_KA_ZERO] = zeroByteKa;
    v[o + F_KA_ONE] = oneByteKa;
    v[o + F_OMITTED] = omitted;
  }

  health(k: number): ConnHealth {
    const v = this.v;
    const o = k * FIELDS;
    return {
      dataSegments: [v[o + F_DATA0], v[o + F_DATA1]], retransmittedData: [v[o + F_RETR0], v[o + F_RETR1]], captureDuplicates: v[o + F_DUPS],
      firstDuplicateFrame: v[o + F_FIRST_DUP], rtoStalls: v[o + F_RTO_STALLS], maxRtoStallNs: v[o + F_MAX_RTO_NS], maxRtoStallFrame: v[o + F_MAX_RTO_FRAME],
      maxRtoStallDir: v[o + F_MAX_RTO_DIR] as 0 | 1, zeroWindows: v[o + F_ZW], maxZeroWindowNs: v[o + F_MAX_ZW_NS], zeroWindowFrame: v[o + F_ZW_FRAME],
      zeroWindowEndFrame: v[o + F_ZW_END_FRAME], zeroWindowDir: v[o + F_ZW_DIR] as 0 | 1,
    };
  }

  connect(k: number, baseNs: bigint): ConnectionFacts['connect'] {
    const v = this.v;
    const o = k * FIELDS;
    const synAckFrame = v[o + F_SYNACK_FRAME];
    if (synAckFrame === 0) return null;
    return {
      synFrame: v[o + F_SYN_FRAME], synNs: baseNs + BigInt(v[o + F_SYN_REL]), synAckFrame, synAckNs: baseNs + BigInt(v[o + F_SYNACK_REL]),
      setupNs: v[o + F_SYNACK_REL] - v[o + F_SYN_REL],
    };
  }

  /** connect.setupNs without building the object; null when there is no handshake */
  setupNs(k: number): number | null {
    const o = k * FIELDS;
    return this.v[o + F_SYNACK_FRAME] === 0 ? null : this.v[o + F_SYNACK_REL] - this.v[o + F_SYN_REL];
  }

  keepAlives(k: number): { zeroByte: number; oneByte: number } {
    const zeroByte = this.v[k * FIELDS + F_KA_ZERO];
    const oneByte = this.v[k * FIELDS + F_KA_ONE];
    return zeroByte || oneByte ? { zeroByte, oneByte } : NO_KEEP_ALIVES;
  }

  omitted(k: number): number {
    return this.v[k * FIELDS + F_OMITTED];
  }
}

export class KeptConnection implements ConnectionFacts {
  stream: number;
  ipVersion: 4 | 6;
  vlans: number[];
  origAddr: string;
  origPort: number;
  respAddr: string;
  respPort: number;
  opener: ConnRecord['opener'];
  firstNs: bigint;
  lastNs: bigint;
  firstFrame: number;
  lastFrame: number;
  handshakeRttNs: number;
  history: string;
  state: ConnRecord['state'];
  reusedPorts: boolean;
  orig: DirRecord;
  resp: DirRecord;
  endReason: ConnRecord['endReason'];
  capture: number;
  labelCounts: Partial<Record<LabelName, number>>;
  keyRowStart: number;
  keyRowEnd: number;
  private segs: SegmentFact[] | null = null;

  constructor(
    rec: ConnRecord, capture: number, private readonly store: SegmentStore, readonly baseNs: bigint, rowStart: number, rowEnd: number,
    labelCounts: Partial<Record<LabelName, number>>, private readonly table: ConnFactTable, private readonly k: number,
  ) {
    this.stream = rec.stream;
    this.ipVersion = rec.ipVersion;
    this.vlans = rec.vlans;
    this.origAddr = rec.origAddr;
    this.origPort = rec.origPort;
    this.respAddr = rec.respAddr;
    this.respPort = rec.respPort;
    this.opener = rec.opener;
    this.firstNs = rec.firstNs;
    this.lastNs = rec.lastNs;
    this.firstFrame = rec.firstFrame;
    this.lastFrame = rec.lastFrame;
    this.handshakeRttNs = rec.handshakeRttNs;
    this.history = rec.history;
    this.state = rec.state;
    this.reusedPorts = rec.reusedPorts;
    this.orig = rec.orig;
    this.resp = rec.resp;
    this.endReason = rec.endReason;
    this.capture = capture;
    this.keyRowStart = rowStart;
    this.keyRowEnd = rowEnd;
    this.labelCounts = labelCounts;
  }

  /** segments not kept because the connection had more than the key-segment bounds */
  get segmentsOmitted(): number {
    return this.table.omitted(this.k);
  }
  /** a new object on every read (see the top of this file) */
  get health(): ConnHealth {
    return this.table.health(this.k);
  }
  /** a new object on every read (see the top of this file) */
  get connect(): ConnectionFacts['connect'] {
    return this.table.connect(this.k, this.baseNs);
  }
  get setupNs(): number | null {
    return this.table.setupNs(this.k);
  }
  get keepAlives(): { zeroByte: number; oneByte: number } {
    return this.table.keepAlives(this.k);
  }

  get keySegments(): SegmentFact[] {
    if (this.segs === null) this.segs = this.store.facts(this.keyRowStart, this.keyRowEnd, this.baseNs);
    return this.segs;
  }
}
