import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/composition/build-app.js';
import { testConfig } from './support/test-server.js';
import { signToken } from './support/tokens.js';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'roomcast-data-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

describe('the embedded default', () => {
  it('starts on an empty DATA_DIR without DATABASE_URL and keeps rooms and events across a restart', async () => {
    const config = testConfig({ DATA_DIR: join(dataDir, 'db'), DATABASE_URL: '' });
    expect(config.databaseUrl).toBeUndefined();
    const token = await signToken('ann');
    const auth = { Authorization: `Bearer ${token}` };

    const first = await buildApp(config, { logger: pino({ level: 'silent' }) });
    const base = `http://127.0.0.1:${first.port}`;
    await request(base).post('/v1/rooms').set(auth).send({ id: 'kept', name: 'Kept' }).expect(201);
    await request(base)
      .post('/v1/rooms/kept/events')
      .set(auth)
      .send({ type: 'chat', data: 'before restart' })
      .expect(201);
    await first.shutdown();
    expect((await readdir(join(dataDir, 'db'))).length).toBeGreaterThan(0);

    const second = await buildApp(config, { logger: pino({ level: 'silent' }) });
    try {
      const again = `http://127.0.0.1:${second.port}`;
      const room = await request(again).get('/v1/rooms/kept').set(auth);
      expect(room.status).toBe(200);
      expect(room.body).toMatchObject({ id: 'kept', lastSeq: 1, memberCount: 1 });
      const events = await request(again).get('/v1/rooms/kept/events').set(auth);
      expect(events.body.items).toMatchObject([{ seq: 1, data: 'before restart' }]);
    } finally {
      await second.shutdown();
    }
  });

  it('refuses to open a DATA_DIR that another running server holds', async () => {
    const config = testConfig({ DATA_DIR: join(dataDir, 'held'), DATABASE_URL: '' });
    const holder = await buildApp(config, { logger: pino({ level: 'silent' }) });
    try {
      await expect(buildApp(config, { logger: pino({ level: 'silent' }) })).rejects.toThrow(/lock/i);
    } finally {
      await holder.shutdown();
    }
  }, 60_000);
});
