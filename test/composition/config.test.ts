import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/composition/config.js';

/** A Standard Webhooks secret: whsec_ and a 32-byte key in base64. */
const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;

describe('configuration', () => {
  it('has sensible defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: './data',
      authSecret: undefined,
      allowedOrigins: undefined,
      pingIntervalMs: 25_000,
      sendQueueLimitBytes: 1024 * 1024,
      maxSubscriptionsPerConnection: 100,
      shutdownTimeoutMs: 10_000,
      embeddedSharedBuffers: '16MB',
      presenceDiffMs: 250,
      presenceMaxListed: 100,
    });
  });

  it('reads every setting', () => {
    const config = loadConfig({
      PORT: '9000',
      DATABASE_URL: 'postgres://u@db:5432/roomcast',
      REDIS_URL: 'redis://cache:6379/0',
      ALLOWED_ORIGINS: 'https://a.example, https://b.example',
      PING_INTERVAL_MS: '1000',
      AUTH_SECRET: 's'.repeat(32),
      NODE_ENV: 'production',
    });
    expect(config).toMatchObject({
      port: 9000,
      databaseUrl: 'postgres://u@db:5432/roomcast',
      redisUrl: 'redis://cache:6379/0',
      allowedOrigins: ['https://a.example', 'https://b.example'],
      pingIntervalMs: 1000,
      nodeEnv: 'production',
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ REDIS_URL: 'http://cache' }, 'REDIS_URL'],
    [{ AUTH_SECRET: 'short' }, 'AUTH_SECRET'],
    [{ NODE_ENV: 'production' }, 'AUTH_SECRET'],
    [{ PING_INTERVAL_MS: '0' }, 'PING_INTERVAL_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ EMBEDDED_SHARED_BUFFERS: '16' }, 'EMBEDDED_SHARED_BUFFERS'],
    [{ EMBEDDED_SHARED_BUFFERS: '16MB; DROP' }, 'EMBEDDED_SHARED_BUFFERS'],
    [{ PRESENCE_DIFF_MS: '0' }, 'PRESENCE_DIFF_MS'],
    [{ PRESENCE_MAX_LISTED: '-1' }, 'PRESENCE_MAX_LISTED'],
    [{ WEBHOOK_URL: 'ftp://backend/hooks', WEBHOOK_SECRET: SECRET }, 'WEBHOOK_URL'],
    [{ WEBHOOK_URL: 'https://backend/hooks' }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_SECRET: SECRET.slice('whsec_'.length) }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_SECRET: 'whsec_c2hvcnQ=' }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_SECRET: 'whsec_not base64!' }, 'WEBHOOK_SECRET'],
    [{ WEBHOOK_EVENTS: 'Chat.*' }, 'WEBHOOK_EVENTS'],
    [{ WEBHOOK_EVENTS: 'chat.*.x' }, 'WEBHOOK_EVENTS'],
    [{ WEBHOOK_EVENTS: 'room.*,' }, 'WEBHOOK_EVENTS'],
    [{ WEBHOOK_TIMEOUT_MS: '0' }, 'WEBHOOK_TIMEOUT_MS'],
    [{ WEBHOOK_MAX_ATTEMPTS: '0' }, 'WEBHOOK_MAX_ATTEMPTS'],
    [{ WEBHOOK_RETRY_BASE_MS: 'soon' }, 'WEBHOOK_RETRY_BASE_MS'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });

  it('turns webhooks on with WEBHOOK_URL and WEBHOOK_SECRET, with the contract defaults', () => {
    expect(loadConfig({}).webhooks).toBeUndefined();
    const { webhooks } = loadConfig({ WEBHOOK_URL: 'https://backend.example/hooks', WEBHOOK_SECRET: SECRET });
    expect(webhooks).toMatchObject({
      url: 'https://backend.example/hooks',
      secret: SECRET,
      timeoutMs: 10_000,
      maxAttempts: 10,
      retryBaseMs: 5_000,
    });
    expect(String(webhooks!.types)).toBe('room.*,member.*');
    const custom = loadConfig({
      WEBHOOK_URL: 'http://10.0.0.5:3000/hooks',
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_EVENTS: ' member.joined, chat.* ,*',
      WEBHOOK_TIMEOUT_MS: '2000',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_RETRY_BASE_MS: '100',
    }).webhooks!;
    expect(custom).toMatchObject({ timeoutMs: 2000, maxAttempts: 3, retryBaseMs: 100 });
    expect(String(custom.types)).toBe('member.joined,chat.*,*');
  });

  it('never echoes a webhook secret in its complaint', () => {
    expect(() => loadConfig({ WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })).toThrow(/^((?!c2hvcnQ).)*$/);
  });

  it('stops the server at start with one clear line on stderr', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: 'not-a-port', DATABASE_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^roomcast: invalid configuration: PORT: /)]);
  });
});
