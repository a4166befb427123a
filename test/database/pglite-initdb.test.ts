import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../../src/database/pglite-database.js';
import { createDataDirectory } from '../../src/database/pglite-initdb.js';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'roomcast-initdb-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('a new embedded data directory', () => {
  it('is created by a child process, then opened, and left alone when it exists', async () => {
    const dataDir = join(root, 'fresh');
    await createDataDirectory(dataDir);
    const created = await stat(join(dataDir, 'PG_VERSION'));
    await createDataDirectory(dataDir);
    expect((await stat(join(dataDir, 'PG_VERSION'))).mtimeMs).toBe(created.mtimeMs);
    const db = await PgliteDatabase.open(dataDir, { sharedBuffers: '8MB', baselineCompilerOnly: false });
    try {
      expect(await db.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '8MB' }]);
    } finally {
      await db.close();
    }
  });

  it('fails with a message naming the directory when it cannot be created', async () => {
    const blocked = join(root, 'a-file');
    await writeFile(blocked, 'not a directory');
    await expect(createDataDirectory(join(blocked, 'data'))).rejects.toThrow(
      `creating the embedded database in ${join(blocked, 'data')} failed`,
    );
  });
});
