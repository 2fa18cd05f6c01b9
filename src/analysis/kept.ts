// A kept connection: the tracker's record, the per-connection facts, and its key segments as a run
// of rows in the trace's SegmentStore. `keySegments` builds the SegmentFact objects on first use
// and keeps them (a rule that reads them once will read them again, and object identity stays
// stable); connections no rule and no renderer asks about never get them.

import type { ConnRecord, DirRecord } from '../tcp/tracker.js';
import type { LabelName } from '../tcp/labels.js';
import type { SegmentStore } from './segment-store.js';
import type { ConnHealth, ConnectionFacts, SegmentFact } from './trace.js';

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
  segmentsOmitted: number;
  labelCounts: Partial<Record<LabelName, number>>;
  keepAlives: { zeroByte: number; oneByte: number };
  health: ConnHealth;
  connect: ConnectionFacts['connect'];
  keyRowStart: number;
  keyRowEnd: number;
  private segs: SegmentFact[] | null = null;

  constructor(
    rec: ConnRecord, capture: number, private readonly store: SegmentStore, readonly baseNs: bigint, rowStart: number, rowEnd: number,
    facts: Pick<ConnectionFacts, 'segmentsOmitted' | 'labelCounts' | 'keepAlives' | 'health' | 'connect'>,
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
    this.segmentsOmitted = facts.segmentsOmitted;
    this.labelCounts = facts.labelCounts;
    this.keepAlives = facts.keepAlives;
    this.health = facts.health;
    this.connect = facts.connect;
  }

  get keySegments(): SegmentFact[] {
    if (this.segs === null) this.segs = this.store.facts(this.keyRowStart, this.keyRowEnd, this.baseNs);
    return this.segs;
  }
}
