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
