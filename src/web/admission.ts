/** Whether the server takes new requests and connections: open from start, closed for good at shutdown. */
export class Admission {
  private isClosed = false;

  get isOpen(): boolean {
    return !this.isClosed;
  }

  /** From now on `/readyz` is 503 and new requests and upgrades are refused with 503 `unavailable`. */
  close(): void {
    this.isClosed = true;
  }
}
