// Several long-lived conversations written into one capture in time order, with bounded memory.
//
// Each TcpConversation runs its own event loop, so two of them cannot run at once. Instead every
// conversation ("lane") advances one step at a time (one batch of exchanges), always the lane
// that is furthest behind in time. A conversation never emits a frame earlier than its current
// simulated time (every pending event lies at or after it), so frames buffered with a time
// before the minimum of all lanes' current times are final and are written out. The buffer thus
// holds about one step's frames per lane.

import { EventQueue } from '../event-queue.js';
import type { PcapWriter } from '../pcap-writer.js';
import type { SynthFrame, SynthSink, TcpConversation } from '../tcp-conversation.js';

/** Frames from any source, written to the capture in time order (ties: in arrival order). */
export class FrameMerger {
  private readonly q = new EventQueue();
  written = 0;

  /** `baseSec`: the epoch second that times (ns) passed to push() count from */
  constructor(private readonly w: PcapWriter, private readonly baseSec: number) {}

  /** ns since baseSec of a frame from a conversation */
  timeOf(f: SynthFrame): number {
    return (f.tsSec - this.baseSec) * 1e9 + f.tsNsec;
  }

  /** A sink for TcpConversation: copies each frame (its buffer is shared) into the queue. */
  readonly sink: SynthSink = (f) => {
    this.push(this.timeOf(f), f.data.slice(), f.origLen);
  };

  /** A frame at `t` ns since baseSec; `data` is kept, not copied. */
  push(t: number, data: Uint8Array, origLen = data.length): void {
    this.q.push(t, () => {
      const sec = this.baseSec + Math.floor(t / 1e9);
      this.w.write(sec, t % 1e9, data, origLen);
      this.written++;
    });
  }

  /** Writes every queued frame earlier than `t`. */
  flushBefore(t: number): void {
    for (let e = this.q.peek(); e && e.t < t; e = this.q.peek()) {
      this.q.pop();
      e.fn();
    }
  }
}

/** One conversation and the script that drives it a step at a time. */
export interface Lane {
  conv: TcpConversation;
  /** ns since the merger's baseSec at which conv.now is 0 (its startNsec) */
  startNs: number;
  /** runs one step; false when the lane has nothing more to do (the conversation is then closed
   *  and finished by the caller of runLanes) */
  step(): boolean;
  /** ends the conversation (close and finish) */
  end(): void;
}

const nowOf = (l: Lane): number => l.startNs + l.conv.now;

/** Runs lanes to completion, always stepping the one furthest behind, and writes frames out as
 *  they become final. */
export function runLanes(lanes: Lane[], merger: FrameMerger): void {
  const live = [...lanes];
  while (live.length > 0) {
    let k = 0;
    for (let i = 1; i < live.length; i++) if (nowOf(live[i]) < nowOf(live[k])) k = i;
    const lane = live[k];
    if (!lane.step()) {
      lane.end();
      live.splice(k, 1);
    }
    let horizon = Infinity;
    for (const l of live) horizon = Math.min(horizon, nowOf(l));
    merger.flushBefore(horizon);
  }
  merger.flushBefore(Infinity);
}
