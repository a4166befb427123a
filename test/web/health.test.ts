import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { testDatabase } from '../support/databases.js';
import { startTestServer } from '../support/test-server.js';

describe('/readyz', () => {
  it('turns 503 when the database stops answering, while /healthz stays 200', async () => {
    const database = await testDatabase();
    const server = await startTestServer({}, database);
    try {
      await request(server.baseUrl).get('/readyz').expect(200);
      await database.db.close();
      const response = await request(server.baseUrl).get('/readyz');
      expect(response.status).toBe(503);
      expect(response.body).toEqual({ error: { code: 'unavailable', message: 'not answering: database' } });
      await request(server.baseUrl).get('/readyz').expect(503);
      await request(server.baseUrl).get('/healthz').expect(200);
      // One line for the outage, not one per probe; the probes themselves are refusals, at info.
      const warnings = server.log.lines.filter((line) => (line.level as number) >= 40);
      expect(warnings).toEqual([
        expect.objectContaining({ level: 40, down: 'database', msg: 'not ready: dependencies not answering' }),
      ]);
    } finally {
      await server.app.shutdown();
      await database.dispose();
    }
  });
});
