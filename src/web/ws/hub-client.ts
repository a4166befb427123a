import type { User } from '../../domain/user.js';
import type { Frame } from './codec.js';

/** What the Hub may do with a connection: nothing more than this. */
export interface HubClient {
  readonly user: User;
  /** Bytes waiting to be sent: its own queue plus the socket's buffer. */
  readonly pendingBytes: number;
  /** Pending bytes past this close the client as a slow consumer. */
  readonly queueLimit: number;
  /** Queues a frame for sending; a client whose queue overflows closes itself as a slow consumer (1013). */
  enqueue(frame: Frame): void;
  /** Closes as a slow consumer (1013), dropping what is queued. */
  closeAsSlowConsumer(reason: string): void;
  /** Closes the connection after what is queued; the client reports its end through its own callback. */
  close(code: number, reason: string): void;
  /** One heartbeat tick: pings, or terminates a client that missed the previous pong. */
  keepAlive(): void;
}
