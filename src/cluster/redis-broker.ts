import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BrokerListener, ClusterBroker } from '../domain/ports/cluster-broker.js';
import type { HealthCheck } from '../domain/ports/health.js';
import type { PresenceUpdate } from '../domain/presence-update.js';
import type { RoomEvent } from '../domain/room-event.js';
import { type BrokerMessage, decodeBrokerMessage, encodeBrokerMessage } from './broker-message.js';

/**
 * Redis pub/sub between nodes: one channel that every node publishes its stored events and
 * evictions to and listens on. Pub/sub delivers at most once, so a message that cannot be
 * published is kept (the latest per room and per eviction) and sent again on reconnect, and a
 * node that lost its subscription is told to catch up from the store.
 */
export class RedisBroker implements ClusterBroker, HealthCheck {
  readonly name = 'broker';
  private readonly channel: string;
  private readonly unsent = new Map<string, string>();
  private isSubscribed = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly nodeId: string,
    prefix: string,
    private readonly logger: Logger,
  ) {
    this.channel = `${prefix}:pushes`;
  }

  /** Listens from now on; subscribes again, and tells `listener`, whenever the connection comes back. */
  listen(listener: BrokerListener): void {
    this.subscriber.on('message', (_channel: string, message: string) => this.receive(message, listener));
    this.subscriber.on('close', () => {
      this.isSubscribed = false;
    });
    const subscribe = () => {
      this.subscriber.subscribe(this.channel).then(
        () => {
          this.isSubscribed = true;
          listener.onSubscribed();
        },
        (error: unknown) => this.logger.warn({ err: error }, 'broker subscribe failed'),
      );
    };
    this.subscriber.on('ready', subscribe);
    if (this.subscriber.status === 'ready') subscribe();
    this.publisher.on('ready', () => this.resendUnsent());
  }

  publishEvent(event: RoomEvent): void {
    this.publish(`event:${event.room}`, { node: this.nodeId, event });
  }

  publishEviction(roomId: string, userId: string): void {
    this.publish(`eviction:${roomId}:${userId}`, { node: this.nodeId, eviction: { room: roomId, user: userId } });
  }

  publishPresence(update: PresenceUpdate): void {
    this.publish(`presence:${update.snapshot.room}`, { node: this.nodeId, presence: update });
  }

  async isHealthy(): Promise<boolean> {
    return this.isSubscribed && this.publisher.status === 'ready';
  }

  close(): void {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }

  private publish(key: string, message: BrokerMessage): void {
    const text = encodeBrokerMessage(message);
    this.publisher.publish(this.channel, text).catch(() => {
      // A later message for the same room makes receivers read the earlier ones from the store.
      this.unsent.set(key, text);
    });
  }

  private resendUnsent(): void {
    const waiting = [...this.unsent];
    this.unsent.clear();
    if (waiting.length > 0) this.logger.info({ messages: waiting.length }, 'broker resending unsent messages');
    for (const [key, text] of waiting) {
      this.publisher.publish(this.channel, text).catch(() => this.unsent.set(key, text));
    }
  }

  private receive(raw: string, listener: BrokerListener): void {
    const message = decodeBrokerMessage(raw);
    if (!message) {
      this.logger.warn('broker message ignored: not understood');
      return;
    }
    if (message.node === this.nodeId) return;
    if ('event' in message) listener.onEvent(message.event);
    else if ('presence' in message) listener.onPresence(message.presence);
    else listener.onEviction(message.eviction.room, message.eviction.user);
  }
}
