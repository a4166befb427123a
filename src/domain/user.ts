/** The authenticated caller: a person, or a backend holding a service token. */
export interface User {
  readonly id: string;
  readonly name: string;
  /** A backend acting for many users; read it through the rules below, never directly. */
  readonly isService: boolean;
}

/*
 * Every rule that treats a service differently from a person, in one place. A service acts for
 * many users: it reads, publishes to and lists the members of any room without being a member,
 * it is not one of the people present in a room, and the per-user REST rate would throttle
 * every user it serves at once.
 */

/** A person must be a member of a room to read it, publish to it or list its members; a service need not. */
export function needsMembership(user: User): boolean {
  return !user.isService;
}

/** Whether the user's connections count in a room's presence (people's do; services' do not). */
export function countsInPresence(user: User): boolean {
  return !user.isService;
}

/** Whether the per-user REST rate limit applies (services are exempt). */
export function hasUserRateLimit(user: User): boolean {
  return !user.isService;
}

/** Batches of events (`POST /v1/events`) are for backends. */
export function mayPublishBatches(user: User): boolean {
  return user.isService;
}
