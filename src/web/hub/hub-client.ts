import type { User } from '../../domain/user.js';
import type { OutboundMessage } from './outbound-message.js';

/**
 * What the Hub may do with a subscriber, nothing more: the port every transport implements (a
 * WebSocket connection, a Server-Sent Events stream). The Hub never learns which one it holds.
 */
export interface HubClient {
  readonly user: User;
  /** Bytes waiting to be sent: its own queue plus the transport's buffer. */
  readonly pendingBytes: number;
  /** Pending bytes past this close the client as a slow consumer. */
  readonly queueLimit: number;
  /** Queues a message for sending, in this transport's encoding; a client whose queue overflows closes itself as a slow consumer (1013). */
  deliver(message: OutboundMessage): void;
  /** The user left the room: the Hub has ended this client's subscription to it. */
  evicted(roomId: string): void;
  /** Closes as a slow consumer (1013), dropping what is queued. */
  closeAsSlowConsumer(reason: string): void;
  /** Closes after what is queued, telling the peer `code`; the client reports its end through its own callback. */
  close(code: number, reason: string): void;
  /** One heartbeat tick: a keepalive probe, or the end of a client that showed no life since the previous one. */
  keepAlive(): void;
}
