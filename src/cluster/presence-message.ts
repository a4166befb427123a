import type { PresenceEntry, PresenceUpdate } from '../domain/presence-update.js';

/**
 * Whether a decoded broker message's `presence` is a presence update as another node sends it:
 * its frames are built from it and sent to clients, so nothing else may pass.
 */
export function isPresenceUpdate(value: unknown): value is PresenceUpdate {
  if (!isObject(value) || !isCounted(value.snapshot)) return false;
  const { snapshot, change } = value;
  if (snapshot.users !== undefined && !isEntryList(snapshot.users)) return false;
  if (change === undefined) return true;
  if (!isCounted(change) || change.room !== snapshot.room) return false;
  if (change.users !== undefined) return isEntryList(change.users) && change.joined === undefined;
  if (change.joined === undefined && change.left === undefined) return true;
  return isEntryList(change.joined) && Array.isArray(change.left) && change.left.every((id) => typeof id === 'string');
}

function isCounted(value: unknown): value is Record<string, unknown> & { room: string } {
  return isObject(value) && typeof value.room === 'string' && Number.isSafeInteger(value.count);
}

function isEntryList(value: unknown): value is PresenceEntry[] {
  return (
    Array.isArray(value) &&
    value.every((entry) => isObject(entry) && typeof entry.userId === 'string' && typeof entry.name === 'string')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
