// Where protocol sessions send their results: exchanges, per-message events (parity), counters.
import type { ExchangeSink, MessageSink, ProtoCounters } from './types.js';

export interface ProtoOutput {
  exchange: ExchangeSink;
  message: MessageSink | null;
  counters: ProtoCounters;
}
