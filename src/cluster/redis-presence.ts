import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { HealthCheck } from '../domain/ports/health.js';
import type { PresenceChange, PresenceChangeListener, PresenceTracker, PresentUser } from '../domain/ports/presence.js';
import { PresenceCounts } from '../domain/presence-counts.js';
import { PresenceListeners } from '../domain/presence-listeners.js';
import { type User, countsInPresence } from '../domain/user.js';
import { PresenceStore, type PresenceWithdrawal, presenceField } from './presence-store.js';

export interface RedisPresenceOptions {
  readonly nodeId: string;
  readonly prefix: string;
  /** A node whose heartbeat is older than this is dead: its connections are taken out of presence. */
  readonly ttlMs: number;
}

/**
 * Presence across nodes, in Redis: each node adds and removes its users' connections and keeps a
 * heartbeat; any node takes a dead node's connections out (telling who left) once its heartbeat
 * expires. Changes go to Redis one at a time, in order. Whenever Redis could not be told (it was
 * not ready, or a command failed), or this node was taken for dead, the node withdraws its share
 * and adds it again from its own counts as soon as the connection is ready, so presence heals
 * after an outage; until then it reports itself unhealthy (`/readyz`).
 */
export class RedisPresence implements PresenceTracker, HealthCheck {
  readonly name = 'presence';
  private readonly local = new PresenceCounts();
  private readonly store: PresenceStore;
  private readonly listeners: PresenceListeners;
  private chain: Promise<void> = Promise.resolve();
  private needsResync = true;
  /** Counts every local change; a resync covers the changes up to `syncedThrough`. */
  private version = 0;
  private syncedThrough = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly beatWhenReady = () => this.enqueue(() => this.beat());

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisPresenceOptions,
    private readonly logger: Logger,
  ) {
    this.store = new PresenceStore(redis, options.prefix);
    this.listeners = new PresenceListeners((error) => logger.error({ err: error }, 'a presence listener failed'));
    this.heartbeat = setInterval(() => this.enqueue(() => this.beat()), Math.max(50, options.ttlMs / 3));
    this.heartbeat.unref();
    // The first beat, and the resync after every outage, as soon as commands can be sent.
    redis.on('ready', this.beatWhenReady);
    if (redis.status === 'ready') this.beatWhenReady();
  }

  connected(roomId: string, user: User): void {
    if (!countsInPresence(user)) return;
    this.local.add(roomId, user);
    const version = ++this.version;
    this.enqueue(() => this.adjust(roomId, user, +1, version));
  }

  disconnected(roomId: string, user: User): void {
    if (!countsInPresence(user) || this.local.remove(roomId, user.id) === undefined) return;
    const version = ++this.version;
    this.enqueue(() => this.adjust(roomId, user, -1, version));
  }

  onChange(listener: PresenceChangeListener): void {
    this.listeners.add(listener);
  }

  /** The changes enqueued so far have been sent to Redis one by one, or left to the next resync. */
  synced(): Promise<void> {
    return this.chain;
  }

  inRoom(roomId: string): Promise<PresentUser[]> {
    return this.store.inRoom(roomId);
  }

  /** Ready, and this node's share is in Redis (it may be stale only while Redis is unreachable). */
  async isHealthy(): Promise<boolean> {
    return this.redis.status === 'ready' && !this.needsResync;
  }

  /** Stops the heartbeat and takes this node's share out of presence (its clients are gone). */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    this.redis.off('ready', this.beatWhenReady);
    if (this.redis.status !== 'ready') {
      this.logger.warn(
        'presence: Redis is unreachable at shutdown; this node leaves presence when its heartbeat expires',
      );
    }
    this.enqueue(async () => {
      // Normally empty (each closed client was taken out already), unless Redis missed some of that.
      this.tellAll(await this.store.withdraw(this.options.nodeId), 'left');
      await this.store.forgetNode(this.options.nodeId);
    });
    await this.chain;
  }

  /** Runs `work` after the changes before it; while Redis is not ready, it is left to the next resync. */
  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => {
        if (this.redis.status === 'ready') return work();
        this.needsResync = true;
      })
      .catch((error: unknown) => {
        this.needsResync = true;
        const reason = error instanceof Error ? error.message : String(error);
        // Losing Redis is an expected outage (its connection logs it): one line. Anything else is a fault.
        if (this.redis.status !== 'ready')
          this.logger.warn({ reason }, 'presence update failed; resyncing on reconnect');
        else this.logger.error({ err: error }, 'presence update failed; resyncing at the next heartbeat');
      });
  }

  private async adjust(roomId: string, user: Pick<User, 'id' | 'name'>, delta: number, version: number): Promise<void> {
    // A resync has added this change already, or the next one will.
    if (this.needsResync || version <= this.syncedThrough) return;
    const total = await this.store.adjust(this.options.nodeId, roomId, user, delta);
    if (delta > 0 && total === delta) this.tell(roomId, user, 'joined');
    if (delta < 0 && total === 0) this.tell(roomId, user, 'left');
  }

  private async beat(): Promise<void> {
    const isNew = await this.store.beat(this.options.nodeId, Date.now() + this.options.ttlMs);
    // Added rather than updated: another node took this one for dead and withdrew its share.
    if (isNew || this.needsResync) await this.resync();
    for (const node of await this.store.claimExpiredNodes(Date.now())) {
      this.tellAll(await this.store.withdraw(node), 'left');
    }
  }

  /** Withdraws this node's share and adds its current counts again, telling only real changes. */
  private async resync(): Promise<void> {
    const counts = this.local.all();
    this.syncedThrough = this.version;
    const gone = new Map(
      (await this.store.withdraw(this.options.nodeId)).map((entry) => [
        presenceField(entry.roomId, entry.user.id),
        entry,
      ]),
    );
    for (const { roomId, present } of counts) {
      const user = { id: present.userId, name: present.name };
      const total = await this.store.adjust(this.options.nodeId, roomId, user, present.connections);
      if (gone.delete(presenceField(roomId, user.id))) continue;
      if (total === present.connections) this.tell(roomId, user, 'joined');
    }
    this.tellAll([...gone.values()], 'left');
    this.needsResync = false;
  }

  private tellAll(entries: readonly PresenceWithdrawal[], change: PresenceChange): void {
    for (const { roomId, user } of entries) this.tell(roomId, user, change);
  }

  private tell(roomId: string, user: Pick<User, 'id' | 'name'>, change: PresenceChange): void {
    this.listeners.tell(roomId, user, change);
  }
}
