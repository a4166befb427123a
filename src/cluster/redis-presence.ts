import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Presence, PresenceAnnouncer, PresentUser } from '../domain/ports/presence.js';
import { PresenceCounts } from '../domain/presence-counts.js';
import type { User } from '../domain/user.js';
import { ADJUST_PRESENCE, WITHDRAW_NODE } from './presence-scripts.js';

/** The presence scripts, defined on the connection: sent once, then run by their SHA (EVALSHA). */
interface PresenceScripts {
  adjustPresence(...keysThenArgs: (string | number)[]): Promise<number>;
  withdrawPresenceNode(nodeKey: string, prefix: string): Promise<string[]>;
}

export interface RedisPresenceOptions {
  readonly nodeId: string;
  readonly prefix: string;
  /** A node whose heartbeat is older than this is dead: its connections are taken out of presence. */
  readonly ttlMs: number;
}

/**
 * Presence across nodes, in Redis: each node adds and removes its users' connections, and keeps
 * a heartbeat; any node takes a dead node's connections out (announcing who left) once its
 * heartbeat expires. Changes go to Redis one at a time, in order; when Redis could not be
 * told, or this node was taken for dead, the node withdraws its share and adds it again from
 * its own counts at the next heartbeat, so presence heals after an outage.
 */
export class RedisPresence implements Presence {
  private readonly local = new PresenceCounts();
  private chain: Promise<void> = Promise.resolve();
  private needsResync = true;
  /** Counts every local change; a resync covers the changes up to `syncedThrough`. */
  private version = 0;
  private syncedThrough = 0;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly scripts: PresenceScripts;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisPresenceOptions,
    private readonly announce: PresenceAnnouncer,
    private readonly logger: Logger,
  ) {
    redis.defineCommand('adjustPresence', { numberOfKeys: 3, lua: ADJUST_PRESENCE });
    redis.defineCommand('withdrawPresenceNode', { numberOfKeys: 1, lua: WITHDRAW_NODE });
    this.scripts = redis as unknown as PresenceScripts;
    this.heartbeat = setInterval(() => this.enqueue(() => this.beat()), Math.max(50, options.ttlMs / 3));
    this.heartbeat.unref();
    this.enqueue(() => this.beat());
  }

  connected(roomId: string, user: User): void {
    if (user.isService) return;
    this.local.add(roomId, user);
    const version = ++this.version;
    this.enqueue(() => this.adjust(roomId, user, +1, version));
  }

  disconnected(roomId: string, user: User): void {
    if (user.isService || this.local.remove(roomId, user.id) === undefined) return;
    const version = ++this.version;
    this.enqueue(() => this.adjust(roomId, user, -1, version));
  }

  async inRoom(roomId: string): Promise<PresentUser[]> {
    const [counts, names] = await Promise.all([
      this.redis.hgetall(this.key(`count:${roomId}`)),
      this.redis.hgetall(this.key(`name:${roomId}`)),
    ]);
    return Object.entries(counts).map(([userId, connections]) => ({
      userId,
      name: names[userId] ?? userId,
      connections: Number(connections),
    }));
  }

  /** Stops the heartbeat and takes this node's share out of presence (its clients are gone). */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    this.enqueue(async () => {
      // Normally empty (each closed client was taken out already), unless Redis missed some of that.
      for (const gone of await this.withdraw(this.options.nodeId)) this.announce(gone.roomId, gone.user, 'left');
      await this.redis.zrem(this.key('nodes'), this.options.nodeId);
    });
    await this.chain;
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.needsResync = true;
      this.logger.warn({ err: error }, 'presence update failed; it is repaired at the next heartbeat');
    });
  }

  private async adjust(roomId: string, user: Pick<User, 'id' | 'name'>, delta: number, version: number): Promise<void> {
    // A resync has added this change already, or the next one will.
    if (this.needsResync || version <= this.syncedThrough) return;
    const total = await this.adjustShare(roomId, user, delta);
    if (delta > 0 && total === delta) this.announce(roomId, user, 'joined');
    if (delta < 0 && total === 0) this.announce(roomId, user, 'left');
  }

  private async beat(): Promise<void> {
    const isNew = await this.redis.zadd(this.key('nodes'), Date.now() + this.options.ttlMs, this.options.nodeId);
    // Added rather than updated: another node took this one for dead and withdrew its share.
    if (isNew === 1 || this.needsResync) await this.resync();
    for (const node of await this.redis.zrangebyscore(this.key('nodes'), '-inf', Date.now())) {
      if ((await this.redis.zrem(this.key('nodes'), node)) !== 1) continue; // another node reaps it
      for (const gone of await this.withdraw(node)) this.announce(gone.roomId, gone.user, 'left');
    }
  }

  /** Withdraws this node's share and adds its current counts again, announcing only real changes. */
  private async resync(): Promise<void> {
    const counts = this.local.all();
    this.syncedThrough = this.version;
    const gone = new Map(
      (await this.withdraw(this.options.nodeId)).map((entry) => [field(entry.roomId, entry.user.id), entry]),
    );
    for (const { roomId, present } of counts) {
      const user = { id: present.userId, name: present.name };
      const total = await this.adjustShare(roomId, user, present.connections);
      if (gone.delete(field(roomId, user.id))) continue;
      if (total === present.connections) this.announce(roomId, user, 'joined');
    }
    for (const { roomId, user } of gone.values()) this.announce(roomId, user, 'left');
    this.needsResync = false;
  }

  private async withdraw(nodeId: string): Promise<{ roomId: string; user: Pick<User, 'id' | 'name'> }[]> {
    const flat = await this.scripts.withdrawPresenceNode(this.key(`node:${nodeId}`), this.options.prefix);
    const gone = [];
    for (let i = 0; i + 2 < flat.length; i += 3)
      gone.push({ roomId: flat[i]!, user: { id: flat[i + 1]!, name: flat[i + 2]! } });
    return gone;
  }

  /** Adds `delta` to this node's share of the user's connections; resolves to their connections on all nodes. */
  private async adjustShare(roomId: string, user: Pick<User, 'id' | 'name'>, delta: number): Promise<number> {
    const keys = [this.key(`node:${this.options.nodeId}`), this.key(`count:${roomId}`), this.key(`name:${roomId}`)];
    const args = [field(roomId, user.id), user.id, user.name, delta];
    return this.scripts.adjustPresence(...keys, ...args);
  }

  private key(name: string): string {
    return `${this.options.prefix}:presence:${name}`;
  }
}

/** This node's hash field for a user in a room (room ids hold no newline). */
function field(roomId: string, userId: string): string {
  return `${roomId}\n${userId}`;
}
