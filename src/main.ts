import 'reflect-metadata';
import { pino } from 'pino';
import { buildApp } from './composition/build-app.js';
import { ConfigError, loadConfig } from './composition/config.js';

/** Starts roomcast from the environment; stops cleanly on SIGTERM and SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`roomcast: ${error.message}\n`);
    process.exit(1);
  }
  const logger = pino({
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers["sec-websocket-protocol"]'],
  });
  const app = await buildApp(config, { logger });
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    app.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`roomcast: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
