/** The `Authorization` header for a token; none for `undefined`. */
export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { Authorization: `Bearer ${token}` };
}

/**
 * Creates a room named after its id as `token`'s user (who becomes its first member); `extra`
 * adds to or overrides the body. Throws unless the server answers 201.
 */
export async function createRoom(
  baseUrl: string,
  token: string,
  id: string,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/rooms`, {
    method: 'POST',
    headers: { ...bearer(token), 'Content-Type': 'application/json' },
    body: JSON.stringify({ id, name: id, ...extra }),
  });
  if (response.status !== 201) throw new Error(`room ${id} not created: ${response.status} ${await response.text()}`);
}

/** A publish's answer: its status, headers (by lower-case name) and JSON body (`{}` when empty). */
export interface PublishAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The Event, or with a refusal the error body (the test asserts which it got). */
  readonly body: PublishedEvent & { readonly error?: { readonly code: string; readonly message: string } };
}

/** An Event as the REST API answers it. */
export interface PublishedEvent {
  readonly room: string;
  readonly seq: number;
  readonly type: string;
  readonly data: unknown;
  readonly sender: string;
  readonly at: string;
}

/** What `publishEvent` may add: the Idempotency-Key, and the status the server must answer (or any of several). */
export interface PublishOptions {
  readonly key?: string;
  /** 201 (a new event) unless given. */
  readonly status?: number | readonly number[];
}

/**
 * `POST /v1/rooms/:room/events` to the server at `baseUrl` as `token`'s user, with `key` as its
 * Idempotency-Key. Throws unless the server answers `status` (201 unless given).
 */
export async function publishEvent(
  baseUrl: string,
  token: string,
  room: string,
  event: { readonly type: string; readonly data: unknown },
  { key, status = 201 }: PublishOptions = {},
): Promise<PublishAnswer> {
  const response = await fetch(`${baseUrl}/v1/rooms/${room}/events`, {
    method: 'POST',
    headers: {
      ...bearer(token),
      'Content-Type': 'application/json',
      ...(key === undefined ? {} : { 'Idempotency-Key': key }),
    },
    body: JSON.stringify(event),
  });
  const answer = await answerOf(response);
  const expected = typeof status === 'number' ? [status] : status;
  if (!expected.includes(answer.status)) {
    throw new Error(
      `publish to ${room} answered ${answer.status}, not ${expected.join(' or ')}: ${JSON.stringify(answer.body)}`,
    );
  }
  return answer;
}

/** `token`'s user joins the room (`PUT members/me`). Throws unless the server answers 201 (a new member). */
export async function joinRoom(baseUrl: string, token: string, room: string): Promise<void> {
  const response = await fetch(`${baseUrl}/v1/rooms/${room}/members/me`, { method: 'PUT', headers: bearer(token) });
  if (response.status !== 201) throw new Error(`not joined to ${room}: ${response.status} ${await response.text()}`);
}

async function answerOf(response: Response): Promise<PublishAnswer> {
  const text = await response.text();
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: (text ? JSON.parse(text) : {}) as PublishAnswer['body'],
  };
}
