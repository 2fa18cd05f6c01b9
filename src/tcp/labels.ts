// Per-segment analysis labels, with Wireshark's names (the `tcp.analysis.<name>` fields of
// Wireshark/tshark 4.0). One bit each in SegmentResult.labels.
//
// Like tshark's output, a fast or a spurious retransmission also carries `retransmission`:
// Wireshark 4.0 sets only one of its three internal flags, but shows the retransmission field on
// all three, and every consumer (and the corpus reference) sees the fields.

export const L_RETRANSMISSION = 1 << 0;
export const L_FAST_RETRANSMISSION = 1 << 1;
export const L_SPURIOUS_RETRANSMISSION = 1 << 2;
export const L_OUT_OF_ORDER = 1 << 3;
export const L_LOST_SEGMENT = 1 << 4;
export const L_ACK_LOST_SEGMENT = 1 << 5;
export const L_DUPLICATE_ACK = 1 << 6;
export const L_KEEP_ALIVE = 1 << 7;
export const L_KEEP_ALIVE_ACK = 1 << 8;
export const L_ZERO_WINDOW = 1 << 9;
export const L_ZERO_WINDOW_PROBE = 1 << 10;
export const L_ZERO_WINDOW_PROBE_ACK = 1 << 11;
export const L_WINDOW_FULL = 1 << 12;
export const L_WINDOW_UPDATE = 1 << 13;
export const L_REUSED_PORTS = 1 << 14;

export type LabelName =
  | 'retransmission'
  | 'fast_retransmission'
  | 'spurious_retransmission'
  | 'out_of_order'
  | 'lost_segment'
  | 'ack_lost_segment'
  | 'duplicate_ack'
  | 'keep_alive'
  | 'keep_alive_ack'
  | 'zero_window'
  | 'zero_window_probe'
  | 'zero_window_probe_ack'
  | 'window_full'
  | 'window_update'
  | 'reused_ports';

/** Every label in bit order: [bit, Wireshark name]. */
export const LABELS: ReadonlyArray<readonly [number, LabelName]> = [
  [L_RETRANSMISSION, 'retransmission'],
  [L_FAST_RETRANSMISSION, 'fast_retransmission'],
  [L_SPURIOUS_RETRANSMISSION, 'spurious_retransmission'],
  [L_OUT_OF_ORDER, 'out_of_order'],
  [L_LOST_SEGMENT, 'lost_segment'],
  [L_ACK_LOST_SEGMENT, 'ack_lost_segment'],
  [L_DUPLICATE_ACK, 'duplicate_ack'],
  [L_KEEP_ALIVE, 'keep_alive'],
  [L_KEEP_ALIVE_ACK, 'keep_alive_ack'],
  [L_ZERO_WINDOW, 'zero_window'],
  [L_ZERO_WINDOW_PROBE, 'zero_window_probe'],
  [L_ZERO_WINDOW_PROBE_ACK, 'zero_window_probe_ack'],
  [L_WINDOW_FULL, 'window_full'],
  [L_WINDOW_UPDATE, 'window_update'],
  [L_REUSED_PORTS, 'reused_ports'],
];

/** The Wireshark names of the labels in a bit set (allocates: not for the per-packet path). */
export function labelNames(bits: number): LabelName[] {
  const out: LabelName[] = [];
  for (const [bit, name] of LABELS) if (bits & bit) out.push(name);
  return out;
}

export function labelBit(name: LabelName): number {
  for (const [bit, n] of LABELS) if (n === name) return bit;
  throw new Error(`unknown label ${name}`);
}

/** Keep-alive styles (INCIDENTS.md A): Linux sends no payload at seq = next-1, Windows re-sends
 *  one already-acknowledged byte at seq = next-1. */
export const KA_NONE = 0;
export const KA_ZERO_BYTE = 1;
export const KA_ONE_BYTE = 2;
export type KeepAliveStyleName = 'none' | 'zero-byte' | 'one-byte';
export function keepAliveStyleName(style: number): KeepAliveStyleName {
  return style === KA_ZERO_BYTE ? 'zero-byte' : style === KA_ONE_BYTE ? 'one-byte' : 'none';
}
