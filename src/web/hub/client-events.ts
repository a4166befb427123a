/** How a client ended, for logs and metrics. */
export type ClientEnd = 'closed' | 'overflow' | 'missed-pong';

/** What the owner of a client hears. */
export interface ClientEvents<C> {
  /** The connection is gone (reported once, whatever ended it). */
  closed(client: C, end: ClientEnd): void;
  /** The client could not keep up and is being closed with 1013; `closed` follows once the connection is gone. */
  closingAsSlowConsumer(pendingBytes: number): void;
}
