import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

/** Server settings for the demo: development mode (no AUTH_SECRET: dev tokens), the demo page on. */
export const DEMO_SERVER_ENV: Readonly<Record<string, string>> = {
  AUTH_SECRET: '',
  NODE_ENV: 'development',
  DEMO: '1',
};

/** Debian's Chromium, which CI installs with apt (.ci/run); CHROMIUM_PATH names another one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** The title suffix of a browser suite skipped for want of Chromium. */
export const CHROMIUM_SKIP_REASON = `(skipped: ${CHROMIUM_PATH} is not installed)`;

/**
 * The Chromium to drive, or undefined when it is not installed (the suite is then skipped), as
 * `serviceUrl` does for outside services: with REQUIRE_SERVICES=1 a missing Chromium fails the run.
 */
export function chromiumPath(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.env.REQUIRE_SERVICES === '1') throw new Error(`REQUIRE_SERVICES=1 but ${CHROMIUM_PATH} is not installed`);
  return undefined;
}

/** A headless Chromium with a fresh profile; `close` ends it and removes the profile. */
export interface HeadlessBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchChromium(executablePath: string): Promise<HeadlessBrowser> {
  const profileDir = await mkdtemp(join(tmpdir(), 'roomcast-chromium-'));
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
