// TCP flags as text: tshark's 12-position tcp.flags.str, and a short form for humans.
import { TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_NS, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from './packet.js';

const UNSET = '\u00b7'; // middle dot, as tshark prints unset positions
/** tshark 4.0's letters, most significant bit first: 3 reserved bits, AE (the former NS), CWR, ECE, URG, ACK,
 *  PSH, RST, SYN, FIN */
const TSHARK_LETTERS = 'RRRACEUAPRSF';
const TSHARK_POSITIONS = 12;
const FLAG_BITS = 9;

/**
 * tshark's `tcp.flags.str`, e.g. `·······A··S·` for SYN/ACK. `flags` holds the 9 low bits
 * (FIN..NS), `reserved` the 3 reserved bits above them.
 */
export function formatTcpFlagsTshark(flags: number, reserved = 0): string {
  const all = ((reserved & 0x7) << FLAG_BITS) | (flags & 0x1ff);
  let s = '';
  for (let i = 0; i < TSHARK_POSITIONS; i++) {
    s += (all >> (TSHARK_POSITIONS - 1 - i)) & 1 ? TSHARK_LETTERS[i] : UNSET;
  }
  return s;
}

/** Short human form in the order people say them: S, SA, A, PA, FA, R, RA; ECN and URG/NS
 *  appended (E, C, U, N). No flags gives '-'. */
export function formatTcpFlagsShort(flags: number): string {
  let s = '';
  if (flags & TCP_SYN) s += 'S';
  if (flags & TCP_PSH) s += 'P';
  if (flags & TCP_FIN) s += 'F';
  if (flags & TCP_RST) s += 'R';
  if (flags & TCP_ACK) s += 'A';
  if (flags & TCP_URG) s += 'U';
  if (flags & TCP_ECE) s += 'E';
  if (flags & TCP_CWR) s += 'C';
  if (flags & TCP_NS) s += 'N';
  return s === '' ? '-' : s;
}
