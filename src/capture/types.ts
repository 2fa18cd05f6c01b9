// What a capture reader hands to the rest of pcapdx: one Frame per record, delivered to a
// synchronous callback. The Frame object and its `data` view are reused: they are valid only
// during the callback. Anything that must outlive the frame is copied out as plain numbers or an
// explicit copy of bytes.

export type CaptureFormat = 'pcap' | 'pcapng';

export interface InterfaceInfo {
  /** index within its pcapng section (0 for classic pcap) */
  id: number;
  /** pcapng section number (0-based); always 0 for classic pcap */
  section: number;
  linkType: number;
  snaplen: number;
  /** fraction digits the capture's clock carries: 6 for microseconds, 9 for nanoseconds */
  tsDigits: number;
  name?: string;
}

export interface Frame {
  /** 1-based, as in Wireshark */
  number: number;
  /** exact timestamp: whole seconds since the epoch and nanoseconds (0..999,999,999) */
  tsSec: number;
  tsNsec: number;
  /** fraction digits of the interface clock (6 or 9 usually) */
  tsDigits: number;
  /** bytes present in the capture */
  caplen: number;
  /** bytes the packet had on the wire */
  origlen: number;
  linkType: number;
  /** index into CaptureInfo.interfaces */
  iface: number;
  /** the captured bytes; a view into the reader's buffer, valid during the callback only
   *  (created on first access, so a consumer that never looks at bytes allocates nothing) */
  readonly data: Uint8Array;
  /** the same bytes without a view: buf[start .. start + caplen) (valid during the callback) */
  buf: Uint8Array;
  start: number;
  /** byte offset of this record's header in the (decompressed) capture stream */
  offset: number;
  /** position of buf[start] (the frame's first captured byte) in the capture file when the bytes
   *  can be read again there (a regular, uncompressed file opened by path); -1 for standard input
   *  and gzip (the readers always set it). */
  filePos: number;
}

/** Stable codes for damage found in the container (not in the packets it carries). */
export type CaptureIssueCode =
  | 'file_truncated' // the file ends inside a record or block
  | 'record_length_absurd' // a record or block claims a length no capture could have
  | 'block_length_mismatch' // a pcapng block's trailing length differs from its leading length
  | 'caplen_exceeds_snaplen' // a record carries more bytes than the interface snaplen
  | 'caplen_exceeds_origlen' // captured length larger than the original length
  | 'timestamp_invalid' // fraction field out of range for the resolution
  | 'unknown_interface' // a packet block names an interface not described
  | 'bad_section_header' // a pcapng section header block that cannot be read
  | 'unknown_block' // an unknown pcapng block, skipped by its length (informational)
  | 'gzip_error'; // the gzip stream is corrupt or cut short

export interface CaptureIssue {
  code: CaptureIssueCode;
  severity: 'error' | 'warning' | 'info';
  message: string;
  /** byte offset in the (decompressed) stream where the damage starts */
  offset: number;
  /** the frame the damage concerns or follows (1-based); 0 when before any frame */
  frame: number;
}

export interface CaptureInfo {
  path: string;
  format: CaptureFormat;
  /** 'gzip' when the file was gzip-compressed */
  compression: 'gzip' | null;
  /** byte order of the (first) section: 'le' or 'be' */
  byteOrder: 'le' | 'be';
  /** classic pcap: major.minor; pcapng: of the first section */
  version: string;
  interfaces: InterfaceInfo[];
  sections: number;
}

export interface ReadSummary {
  info: CaptureInfo;
  frames: number;
  /** frames whose caplen < origlen */
  truncatedFrames: number;
  bytesRead: number;
  /** first and last timestamp, exact, null when no frames */
  firstNs: bigint | null;
  lastNs: bigint | null;
  /** issue counts by code, and the first issues in full (capped) */
  issueCounts: Partial<Record<CaptureIssueCode, number>>;
  issues: CaptureIssue[];
  /** true when reading stopped early because of damage */
  stoppedEarly: boolean;
}

export type FrameSink = (frame: Frame) => void;
