import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/composition/build-app.js';
import { testConfig } from '../support/test-server.js';

describe('buildApp', () => {
  it('stops what it started when it cannot listen: the embedded database is closed and its directory free', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'roomcast-build-'));
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const logger = pino({ level: 'silent' });
    try {
      await expect(buildApp(testConfig({ DATA_DIR: dataDir, PORT: String(port) }), { logger })).rejects.toThrow(
        /EADDRINUSE/,
      );
      // Had the failed start kept the database open, its lock would refuse this one.
      const app = await buildApp(testConfig({ DATA_DIR: dataDir }), { logger });
      await app.shutdown();
    } finally {
      await new Promise((resolve) => taken.close(resolve));
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
