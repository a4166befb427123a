import { type App, buildApp } from '../../src/composition/build-app.js';
import { type Config, loadConfig } from '../../src/composition/config.js';
import { type CapturedLog, capturingLogger } from './capturing-logger.js';
import { type TestDatabase, testDatabase } from './databases.js';
import { TEST_SECRET } from './tokens.js';

/** A real server on a free port over a database of its own. */
export interface TestServer {
  readonly app: App;
  readonly baseUrl: string;
  readonly wsUrl: string;
  readonly database: TestDatabase;
  /** The server's log (at info), kept. */
  readonly log: CapturedLog;
  /**
   * Resolves once the server has forgotten `count` closed WebSocket connections, or, without a
   * count, every one it opened: its 'websocket closed' line follows the Hub's unregister.
   */
  untilConnectionsClosed(count?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Rate limits far above what tests send; the rate-limit tests set their own. */
export const GENEROUS_RATE_LIMITS = {
  WS_OPS_PER_SECOND: '1000000',
  WS_OPS_BURST: '2000000',
  REST_CALLS_PER_SECOND: '1000000',
  REST_CALLS_BURST: '2000000',
};

/** Tests stop servers all the time; the shutdown tests set their own drain window. */
export const NO_SHUTDOWN_DRAIN = { SHUTDOWN_DRAIN_MS: '0' };

/** Test settings: a fixed secret, port 0, quiet logs, generous rate limits, no drain window; `env` overrides any of them. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    AUTH_SECRET: TEST_SECRET,
    LOG_LEVEL: 'silent',
    ...GENEROUS_RATE_LIMITS,
    ...NO_SHUTDOWN_DRAIN,
    ...env,
  });
}

/** Starts a server; pass `database` to share one between servers (the caller disposes it then). */
export async function startTestServer(env: Record<string, string> = {}, database?: TestDatabase): Promise<TestServer> {
  const db = database ?? (await testDatabase());
  const log = capturingLogger('info');
  // On PostgreSQL the server runs as it does in production with DATABASE_URL (listening for SQL publishes).
  const config = testConfig({ ...(db.url ? { DATABASE_URL: db.url } : {}), ...env });
  const app = await buildApp(config, { logger: log.logger, database: db.db });
  return {
    app,
    baseUrl: `http://127.0.0.1:${app.port}`,
    wsUrl: `ws://127.0.0.1:${app.port}/v1/ws`,
    database: db,
    log,
    untilConnectionsClosed(count?: number) {
      const closed = () => log.count('websocket closed');
      return log.until(
        () => closed() >= (count ?? log.count('websocket opened')),
        `${count ?? 'every'} connection closed on the server`,
      );
    },
    async stop() {
      await app.shutdown();
      if (!database) await db.dispose();
    },
  };
}
