const TIMESTAMP_KEY = Buffer.from('"t":');

/** What every subscriber of the load generator reports to: counts, and the latencies of sampled messages. */
export class DeliverySink {
  delivered = 0;
  /** Subscribers the server closed while they were live. */
  dropped = 0;
  sampleEvery = 1;
  private latencies: number[] = [];

  /** Starts a new window: counts from zero, sampling one message in `sampleEvery` on average. */
  reset(sampleEvery: number): void {
    this.delivered = 0;
    this.dropped = 0;
    this.sampleEvery = sampleEvery;
    this.latencies = [];
  }

  /** Reads the publisher's `"t":<performance.now()>` out of a message and records its age. */
  sample(payload: Buffer): void {
    const at = payload.indexOf(TIMESTAMP_KEY);
    if (at < 0) return;
    const sentAt = Number.parseFloat(payload.toString('latin1', at + TIMESTAMP_KEY.length, at + 32));
    if (Number.isFinite(sentAt)) this.latencies.push(performance.now() - sentAt);
  }

  takeLatencies(): number[] {
    const taken = this.latencies;
    this.latencies = [];
    return taken;
  }
}
