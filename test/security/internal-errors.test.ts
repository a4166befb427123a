import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/composition/build-app.js';
import { capturingLogger } from '../support/capturing-logger.js';
import { embeddedTestDatabase } from '../support/databases.js';
import { testConfig } from '../support/test-server.js';
import { signToken } from '../support/tokens.js';

/** A server over an embedded database of its own, with its log lines kept. */
async function startWithCapturedLogs() {
  const database = await embeddedTestDatabase();
  const { logger, lines } = capturingLogger('info');
  const app = await buildApp(testConfig(), { logger, database: database.db });
  return { database, app, lines, baseUrl: `http://127.0.0.1:${app.port}` };
}

describe('an internal error', () => {
  it('answers 500 internal_error with nothing about the cause, and logs it with the request id the response carries', async () => {
    const { database, app, lines, baseUrl } = await startWithCapturedLogs();
    try {
      const token = await signToken('ann');
      // The database goes away under the running server.
      await database.dispose();
      const response = await request(baseUrl).get('/v1/rooms').set('Authorization', `Bearer ${token}`);

      expect(response.status).toBe(500);
      expect(response.body).toEqual({ error: { code: 'internal_error', message: 'internal error' } });
      const requestId = response.headers['x-request-id'];
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      const logged = lines.find((line) => line.msg === 'request failed');
      expect(logged).toMatchObject({ level: 50, reqId: requestId });
      expect(JSON.stringify(logged)).toContain('"err"');
      expect(JSON.stringify(lines)).not.toContain(token);
    } finally {
      await app.shutdown().catch(() => undefined);
    }
  });
});

describe('the request log', () => {
  it('has a line for each refused request, with the id the response carries, and none at info for successes', async () => {
    const { database, app, lines, baseUrl } = await startWithCapturedLogs();
    try {
      const api = request(baseUrl);
      const token = await signToken('ann');
      await api.get('/v1/rooms').set('Authorization', `Bearer ${token}`).expect(200);
      const refused = await api.get('/v1/rooms').expect(401);
      const logged = lines.filter((line) => line.msg === 'request completed');
      expect(logged).toEqual([
        expect.objectContaining({
          level: 30,
          req: { id: refused.headers['x-request-id'], method: 'GET', url: '/v1/rooms' },
          res: { statusCode: 401 },
        }),
      ]);
    } finally {
      await app.shutdown();
      await database.dispose();
    }
  });
});
