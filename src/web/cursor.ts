import { ApiError } from './errors.js';

/** Opaque paging cursors: clients pass back what they were given and rely on nothing else. */
export function encodeCursor(key: string | null): string | null {
  return key === null ? null : Buffer.from(`k:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
  // The keys this server hands out never hold NUL (nor U+FFFD, which stands in for bad UTF-8).
  if (!decoded.startsWith('k:') || /[\u0000\ufffd]/.test(decoded)) {
    throw new ApiError('invalid_request', 'cursor: not a cursor this server gave out');
  }
  return decoded.slice(2);
}
