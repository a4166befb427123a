import type { Page } from '../domain/page.js';

/** Turns `limit + 1` fetched rows into a page: the extra row only says that another page exists. */
export function pageOf<T>(fetched: T[], limit: number, keyOf: (item: T) => string): Page<T> {
  const items = fetched.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextKey: fetched.length > limit && last ? keyOf(last) : null };
}
