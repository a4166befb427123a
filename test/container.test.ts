import { pino } from 'pino';
import { container as rootContainer } from 'tsyringe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, registerAll } from '../src/container.js';
import { LocalPresence } from '../src/web/ws/local-presence.js';
import { WsHub } from '../src/web/ws/ws-hub.js';
import { type TestDatabase, embeddedTestDatabase } from './support/databases.js';
import { testConfig } from './support/test-server.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await embeddedTestDatabase();
});
afterAll(() => database?.dispose());

describe('the composition root', () => {
  it('resolves every registration under vitest, singletons once', () => {
    const container = rootContainer.createChildContainer();
    registerAll(container, testConfig(), pino({ level: 'silent' }), database.db);
    // tsyringe keeps registrations in a private map; resolving each proves the factories work without decorator metadata.
    const registry = (container as unknown as { _registry: { _registryMap: Map<unknown, unknown> } })._registry
      ._registryMap;
    expect(registry.size).toBeGreaterThan(10);
    for (const token of registry.keys()) {
      expect(container.resolve(token as symbol)).toBeDefined();
      expect(container.resolve(token as symbol)).toBe(container.resolve(token as symbol));
    }
    expect(container.resolve(TOKENS.Pusher)).toBe(container.resolve(WsHub));
    expect(container.resolve(TOKENS.Presence)).toBeInstanceOf(LocalPresence);
  });
});
