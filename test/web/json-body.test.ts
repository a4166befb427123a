import { Agent, request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

let server: TestServer;
let token: string;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  server = await startTestServer();
  token = await signToken('ann');
});
afterAll(async () => {
  agent.destroy();
  await server?.stop();
});

interface Answer {
  readonly status: number;
  readonly body: { error?: { code: string; message: string }; name?: string };
}

/** POST /v1/rooms over one keep-alive socket, with the headers given and the body as chunks. */
function postRooms(headers: Record<string, string>, chunks: readonly (string | Buffer)[]): Promise<Answer> {
  const url = new URL('/v1/rooms', server.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: url.pathname,
        headers: { authorization: `Bearer ${token}`, ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

const json = { 'content-type': 'application/json' };

describe('JSON request bodies', () => {
  it('reads a body sent in chunks without a Content-Length, and +json media types', async () => {
    const chunked = await postRooms(json, ['{"id":"chunked",', '"name":"Chunked"}']);
    expect(chunked.status).toBe(201);
    expect(chunked.body.name).toBe('Chunked');
    const suffixed = await postRooms({ 'content-type': 'application/vnd.roomcast+json; charset=UTF-8' }, [
      '{"id":"suffixed","name":"Suffixed"}',
    ]);
    expect(suffixed.status).toBe(201);
  });

  it('refuses a body over 80 KiB with 413, by its Content-Length or while streaming, and keeps serving', async () => {
    const big = `{"name":"${'x'.repeat(81_920)}"}`;
    const declared = await postRooms({ ...json, 'content-length': String(Buffer.byteLength(big)) }, [big]);
    expect(declared.status).toBe(413);
    expect(declared.body.error?.code).toBe('payload_too_large');
    const streamed = await postRooms(json, [big.slice(0, 50_000), big.slice(50_000)]);
    expect(streamed.status).toBe(413);
    const after = await postRooms(json, ['{"id":"after-big","name":"After"}']);
    expect(after.status).toBe(201);
  });

  it('reads a body that starts with a UTF-8 byte order mark, as body-parser did', async () => {
    const answer = await postRooms(json, [Buffer.from('\uFEFF{"id":"with-bom","name":"BOM"}', 'utf8')]);
    expect(answer.status).toBe(201);
    expect(answer.body.name).toBe('BOM');
  });

  it('refuses bad JSON, a JSON scalar, a compressed body and a charset other than UTF-8 with 400', async () => {
    const cases: [Record<string, string>, string | Buffer, string][] = [
      [json, '{"name":', 'body: not valid JSON'],
      [json, '"just a string"', 'body: not valid JSON'],
      [{ ...json, 'content-encoding': 'gzip' }, gzipSync('{"name":"x"}'), "body: Content-Encoding 'gzip'"],
      [{ 'content-type': 'application/json; charset=latin1' }, '{"name":"x"}', 'body: unsupported charset'],
    ];
    for (const [headers, body, message] of cases) {
      const answer = await postRooms(headers, [body]);
      expect(answer.status).toBe(400);
      expect(answer.body.error?.code).toBe('invalid_request');
      expect(answer.body.error?.message).toContain(message);
    }
  });

  it('leaves a body that is not JSON to the route, which names what is missing', async () => {
    const text = await postRooms({ 'content-type': 'text/plain' }, ['name=x']);
    expect(text.status).toBe(400);
    expect(text.body.error?.message).toMatch(/^body/);
    const empty = await postRooms({ ...json, 'content-length': '0' }, []);
    expect(empty.status).toBe(400);
    expect(empty.body.error?.message).toMatch(/^body\.name/);
  });
});
