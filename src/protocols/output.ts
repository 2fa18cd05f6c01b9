// Where protocol sessions send their results: exchanges, per-message events (parity), counters.
import type { ExchangeSink, MessageSink, ProtoCounters, ResolvedProtocolOptions } from './types.js';

export interface ProtoOutput {
  exchange: ExchangeSink;
  message: MessageSink | null;
  counters: ProtoCounters;
  /** what the consumer reads (types.ts ProtocolOptions) */
  options: ResolvedProtocolOptions;
}
