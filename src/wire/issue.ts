// Recording what could not be decoded. The first problem found wins: later layers never
// overwrite an earlier, more fundamental issue.
import type { IssueKind, Packet, WireIssueCode } from './packet.js';

/** Records an issue on the packet (unless one is already recorded); always returns false so
 *  parsers can `return fail(...)`. */
export function fail(pkt: Packet, code: WireIssueCode, kind: IssueKind, offset: number): false {
  if (pkt.issue === null) {
    pkt.issue = code;
    pkt.issueKind = kind;
    pkt.issueOffset = offset;
  }
  return false;
}
