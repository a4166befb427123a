/** A user who joined a room; membership survives reconnects and restarts. */
export interface Member {
  readonly roomId: string;
  readonly userId: string;
  readonly name: string;
  readonly joinedAt: Date;
}
