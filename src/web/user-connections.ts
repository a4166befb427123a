/**
 * How many connections each user holds, over every transport (WebSocket connections and event
 * streams alike), against one limit (`MAX_CONNECTIONS_PER_USER`). Check and count in the same turn,
 * with nothing awaited between them, so that concurrent requests cannot both slip under the limit.
 */
export class UserConnections {
  private readonly byUser = new Map<string, number>();

  constructor(private readonly maxPerUser: number) {}

  /** Whether the user may open one more. */
  hasRoomFor(userId: string): boolean {
    return (this.byUser.get(userId) ?? 0) < this.maxPerUser;
  }

  /** Why one more is refused, when it is. */
  get refusal(): string {
    return `a user may hold at most ${this.maxPerUser} connections`;
  }

  opened(userId: string): void {
    this.byUser.set(userId, (this.byUser.get(userId) ?? 0) + 1);
  }

  closed(userId: string): void {
    const left = (this.byUser.get(userId) ?? 1) - 1;
    if (left === 0) this.byUser.delete(userId);
    else this.byUser.set(userId, left);
  }
}
