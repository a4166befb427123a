/** One page of an ordered listing; `nextKey` is the key to continue after, null on the last page. */
export interface Page<T> {
  readonly items: T[];
  readonly nextKey: string | null;
}

/** Where a listing starts and how much it returns. */
export interface PageRequest {
  readonly limit: number;
  /** Return items whose key sorts after this one. */
  readonly afterKey?: string | undefined;
}
