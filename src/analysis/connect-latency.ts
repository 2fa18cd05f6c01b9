// Connection set-up latency per server port (INCIDENTS.md D): the first SYN of an ISN to the
// SYN-ACK that acknowledges it, one sample per connection. Samples are kept exactly up to
// MAX_SAMPLES_PER_PORT per port (so percentiles are exact on captures of that size), then by
// reservoir sampling (Vitter's algorithm R, with a fixed-seed generator so a run is
// reproducible); count and maximum stay exact. Ports beyond MAX_PORTS are counted, not kept.

/** Exact percentiles up to this many connections per server port; a uniform sample beyond. */
export const MAX_SAMPLES_PER_PORT = 200_000;
/** Server ports tracked per capture (a scan touches thousands of ports with one SYN each). */
export const MAX_PORTS = 4_096;

export interface ConnectLatencyFacts {
  capture: number;
  serverPort: number;
  /** connections whose SYN and SYN-ACK were both seen */
  count: number;
  /** set-up latencies in ns: all of them when count <= MAX_SAMPLES_PER_PORT, else a uniform sample */
  samplesNs: number[];
  sampled: boolean;
  maxNs: number;
  /** first SYN of the slowest connection */
  maxFrame: number;
}

export class ConnectLatencyTable {
  private readonly ports = new Map<number, ConnectLatencyFacts>();
  /** samples not kept because MAX_PORTS ports were already tracked */
  droppedPorts = 0;
  private rng = 0x2545f491;

  constructor(private readonly capture: number) {}

  add(serverPort: number, latencyNs: number, synFrame: number): void {
    let p = this.ports.get(serverPort);
    if (!p) {
      if (this.ports.size >= MAX_PORTS) {
        this.droppedPorts++;
        return;
      }
      p = { capture: this.capture, serverPort, count: 0, samplesNs: [], sampled: false, maxNs: -1, maxFrame: 0 };
      this.ports.set(serverPort, p);
    }
    p.count++;
    if (latencyNs > p.maxNs) {
      p.maxNs = latencyNs;
      p.maxFrame = synFrame;
    }
    if (p.samplesNs.length < MAX_SAMPLES_PER_PORT) p.samplesNs.push(latencyNs);
    else {
      p.sampled = true;
      const j = this.next() % p.count;
      if (j < MAX_SAMPLES_PER_PORT) p.samplesNs[j] = latencyNs;
    }
  }

  /** xorshift32: deterministic, good enough to pick reservoir slots */
  private next(): number {
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return this.rng;
  }

  facts(): ConnectLatencyFacts[] {
    return [...this.ports.values()].sort((a, b) => a.serverPort - b.serverPort);
  }
}
