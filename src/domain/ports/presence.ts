/** A user with at least one live connection subscribed to a room. */
export interface PresentUser {
  readonly userId: string;
  readonly name: string;
  readonly connections: number;
}

/** Who is connected to a room right now. */
export interface Presence {
  inRoom(roomId: string): PresentUser[];
}
