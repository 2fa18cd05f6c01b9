// Ports learned from portmap/rpcbind replies: (server address, transport, port) -> program.
// Bounded: MAX_LEARNED_PORTS entries, oldest evicted first (and counted).

/** A host registers a few dozen RPC services at most; 4096 covers hundreds of servers. */
export const MAX_LEARNED_PORTS = 4096;

export interface LearnedPort {
  program: number;
  version: number;
  /** frame of the reply that taught it */
  frame: number;
}

export class PortTable {
  private readonly map = new Map<string, LearnedPort>();
  evicted = 0;

  learn(server: string, proto: string, port: number, program: number, version: number, frame: number): void {
    const key = `${server}|${proto}|${port}`;
    this.map.delete(key); // re-insert as newest
    if (this.map.size >= MAX_LEARNED_PORTS) {
      const oldest = this.map.keys().next();
      if (!oldest.done) {
        this.map.delete(oldest.value);
        this.evicted++;
      }
    }
    this.map.set(key, { program, version, frame });
  }

  lookup(server: string, proto: string, port: number): LearnedPort | null {
    return this.map.get(`${server}|${proto}|${port}`) ?? null;
  }

  get size(): number {
    return this.map.size;
  }
}
