import type { Redis } from 'ioredis';
import type { PresentUser } from '../domain/ports/presence.js';
import type { User } from '../domain/user.js';
import { ADJUST_PRESENCE, WITHDRAW_NODE } from './presence-scripts.js';

/** The presence scripts, defined on the connection: sent once, then run by their SHA (EVALSHA). */
interface PresenceScripts {
  adjustPresence(...keysThenArgs: (string | number)[]): Promise<number>;
  withdrawPresenceNode(nodeKey: string, prefix: string): Promise<string[]>;
}

/** A user who left presence with a node's withdrawal: no connection to the room is left anywhere. */
export interface PresenceWithdrawal {
  readonly roomId: string;
  readonly user: Pick<User, 'id' | 'name'>;
}

/** The presence keys in Redis (see presence-scripts.ts for their layout) and the commands on them. */
export class PresenceStore {
  private readonly scripts: PresenceScripts;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    redis.defineCommand('adjustPresence', { numberOfKeys: 3, lua: ADJUST_PRESENCE });
    redis.defineCommand('withdrawPresenceNode', { numberOfKeys: 1, lua: WITHDRAW_NODE });
    this.scripts = redis as unknown as PresenceScripts;
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

  /** Adds `delta` to the node's share of the user's connections; resolves to their connections on all nodes. */
  adjust(nodeId: string, roomId: string, user: Pick<User, 'id' | 'name'>, delta: number): Promise<number> {
    const keys = [this.key(`node:${nodeId}`), this.key(`count:${roomId}`), this.key(`name:${roomId}`)];
    return this.scripts.adjustPresence(...keys, presenceField(roomId, user.id), user.id, user.name, delta);
  }

  /** Takes back everything the node contributed; resolves to the users left with no connection anywhere. */
  async withdraw(nodeId: string): Promise<PresenceWithdrawal[]> {
    const flat = await this.scripts.withdrawPresenceNode(this.key(`node:${nodeId}`), this.prefix);
    const gone: PresenceWithdrawal[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      gone.push({ roomId: flat[i]!, user: { id: flat[i + 1]!, name: flat[i + 2]! } });
    }
    return gone;
  }

  /** Records the node's heartbeat until `expiresAt`; true when the node was not listed (it was taken for dead). */
  async beat(nodeId: string, expiresAt: number): Promise<boolean> {
    return (await this.redis.zadd(this.key('nodes'), expiresAt, nodeId)) === 1;
  }

  /** The nodes whose heartbeat expired before `now` and that this caller claimed (removed) first. */
  async claimExpiredNodes(now: number): Promise<string[]> {
    const claimed: string[] = [];
    for (const node of await this.redis.zrangebyscore(this.key('nodes'), '-inf', now)) {
      if ((await this.redis.zrem(this.key('nodes'), node)) === 1) claimed.push(node);
    }
    return claimed;
  }

  forgetNode(nodeId: string): Promise<number> {
    return this.redis.zrem(this.key('nodes'), nodeId);
  }

  private key(name: string): string {
    return `${this.prefix}:presence:${name}`;
  }
}

/** A node's hash field for a user in a room, as the scripts split it (room ids hold no newline). */
export function presenceField(roomId: string, userId: string): string {
  return `${roomId}\n${userId}`;
}
