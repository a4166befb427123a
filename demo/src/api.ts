/** The REST calls the demo makes (docs/protocol.md), with the signed-in user's token. */

export interface RoomSummary {
  readonly id: string;
  readonly name: string;
  readonly lastSeq: number;
  readonly epoch: string;
}

export interface Member {
  readonly userId: string;
  readonly name: string;
}

/** A refused call, with the server's error code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, token: string | undefined, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const payload = response.status === 204 ? undefined : await response.json();
  if (!response.ok) {
    const error = (payload as { error?: { code: string; message: string } } | undefined)?.error;
    throw new ApiError(response.status, error?.code ?? 'unknown', error?.message ?? response.statusText);
  }
  return payload as T;
}

/** Development mode only: a token for any user (404 when the server has an AUTH_SECRET). */
export async function devToken(userId: string, name: string): Promise<string> {
  return (await call<{ token: string }>('POST', '/v1/dev/tokens', undefined, { userId, name })).token;
}

/** REST calls as one user; `token` returns the newest token the client fetched. */
export class Api {
  constructor(private readonly token: () => string) {}

  async listRooms(): Promise<RoomSummary[]> {
    return (await call<{ items: RoomSummary[] }>('GET', '/v1/rooms?limit=200', this.token())).items;
  }

  createRoom(id: string, name: string): Promise<RoomSummary> {
    return call('POST', '/v1/rooms', this.token(), { id, name });
  }

  getRoom(id: string): Promise<RoomSummary> {
    return call('GET', `/v1/rooms/${encodeURIComponent(id)}`, this.token());
  }

  async listMembers(roomId: string): Promise<Member[]> {
    const path = `/v1/rooms/${encodeURIComponent(roomId)}/members?limit=200`;
    return (await call<{ items: Member[] }>('GET', path, this.token())).items;
  }
}
