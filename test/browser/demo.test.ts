import { mkdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDemo } from '../../demo/build.js';
import { loadConfig } from '../../src/composition/config.js';
import { developmentMode } from '../../src/composition/development-mode.js';
import {
  CHROMIUM_SKIP_REASON,
  DEMO_SERVER_ENV,
  type HeadlessBrowser,
  chromiumPath,
  launchChromium,
} from '../support/browser.js';
import { type TestDatabase, testDatabase } from '../support/databases.js';
import { roomLastSeq, seqRange } from '../support/delivery-subscriber.js';
import { type TestServer, startTestServer } from '../support/test-server.js';

const executablePath = chromiumPath();
const WAIT_MS = 20_000;
const ROOM = 'lobby';

/** A user outside the browsers, publishing over REST as a backend would (with a dev token). */
async function restUser(server: TestServer, userId: string): Promise<string> {
  const response = await fetch(`${server.baseUrl}/v1/dev/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId, name: userId }),
  });
  return ((await response.json()) as { token: string }).token;
}

async function joinOverRest(server: TestServer, token: string): Promise<void> {
  const response = await fetch(`${server.baseUrl}/v1/rooms/${ROOM}/members/me`, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.ok).toBe(true);
}

/** Posts chat messages over REST, one after another: `label 1`, `label 2`, … */
async function postMessages(server: TestServer, token: string, count: number, label: string): Promise<void> {
  for (let n = 1; n <= count; n += 1) {
    const response = await fetch(`${server.baseUrl}/v1/rooms/${ROOM}/events`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ type: 'chat.message', data: { text: `${label} ${n}` } }),
    });
    expect(response.status).toBe(201);
  }
}

async function signIn(page: Page, server: TestServer, name: string): Promise<void> {
  await page.goto(`${server.baseUrl}/`);
  await page.fill('#sign-in input[name=name]', name);
  await page.click('#sign-in button');
  await page.waitForSelector('#connection[data-state=open]');
}

/** The seqs of the events a page shows, top to bottom. */
const shownSeqs = (page: Page) =>
  page.$$eval('#events li[data-seq]', (items) => items.map((item) => Number(item.getAttribute('data-seq'))));

/** The page shows seq 1, 2, 3, … each once, in order (membership events count too; presence is no event). */
async function expectEverySeqOnce(page: Page): Promise<void> {
  const seqs = await shownSeqs(page);
  expect(seqs).toEqual(seqRange(1, seqs.at(-1) ?? 0));
}

/** Waits until the page shows an event with this text. */
const eventText = (page: Page, text: string) =>
  page.waitForSelector(`#events li[data-seq]:has-text(${JSON.stringify(text)})`, { timeout: WAIT_MS });

/** Waits until the page marks `userId` in its member list as present (true) or not (false). */
const presence = (page: Page, userId: string, isPresent: boolean) =>
  page.waitForSelector(`#members li[data-user=${userId}][data-online=${isPresent}]`, { timeout: WAIT_MS });

/** Waits until the page counts this many users present in the room. */
const presentCount = (page: Page, count: number) =>
  page.waitForSelector(`#present-count:has-text("${count} here")`, { timeout: WAIT_MS });

/** Waits until the page shows events up to `lastSeq`. */
const shownUpTo = (page: Page, lastSeq: number) =>
  page.waitForSelector(`#events li[data-seq="${lastSeq}"]`, { timeout: WAIT_MS });

let database: TestDatabase;
/** The demo server; the last test restarts it on the same port. */
let server: TestServer;

beforeAll(async () => {
  await buildDemo();
  database = await testDatabase();
  server = await startTestServer(DEMO_SERVER_ENV, database);
});
afterAll(async () => {
  await server?.stop();
  await database?.dispose();
});

describe('serving the demo page', () => {
  it('serves the page, its script and its styles at / with a policy that allows only this origin', async () => {
    const page = await fetch(`${server.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<title>roomcast demo</title>');
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toContain("connect-src 'self'");
    expect(policy).not.toContain('upgrade-insecure-requests');

    const script = await fetch(`${server.baseUrl}/demo.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('roomcast.token.');
    expect((await fetch(`${server.baseUrl}/demo.css`)).status).toBe(200);
  });

  it('leaves / to the JSON 404 when the demo is off', async () => {
    const plain = await startTestServer({}, database);
    try {
      const response = await fetch(`${plain.baseUrl}/`);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await plain.stop();
    }
  });

  it.each([
    [{}, true],
    [{ DEMO: '0' }, false],
    [{ AUTH_SECRET: 'x'.repeat(32) }, false],
    [{ AUTH_SECRET: 'x'.repeat(32), DEMO: '1' }, true],
    [{ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(32) }, false],
    [{ NODE_ENV: 'production', AUTH_SECRET: 'x'.repeat(32), DEMO: '1' }, true],
  ])('serves the demo in development mode unless DEMO=0, and elsewhere only with DEMO=1: %j', (env, isServed) => {
    expect(developmentMode(loadConfig(env)).servesDemo).toBe(isServed);
  });

  it('refuses a DEMO value other than 0 or 1', () => {
    expect(() => loadConfig({ DEMO: 'yes' })).toThrow(/DEMO/);
  });
});

describe.skipIf(!executablePath)(`the demo page in Chromium ${executablePath ? '' : CHROMIUM_SKIP_REASON}`, () => {
  let browser: HeadlessBrowser;
  let ann: Page;
  let bob: Page;

  beforeAll(async () => {
    browser = await launchChromium(executablePath as string);
    [ann, bob] = [await browser.context.newPage(), await browser.context.newPage()];
  });
  afterAll(() => browser?.close());

  // The steps build on each other: one room, two people in it, then the server misbehaves.
  it('two people join the same room and see each other arrive and post', async () => {
    await signIn(ann, server, 'Ann');
    await ann.fill('#create-room input[name=id]', ROOM);
    await ann.fill('#create-room input[name=name]', 'Lobby');
    await ann.click('#create-room button');
    await ann.waitForSelector('#members li[data-user=ann]');

    await signIn(bob, server, 'Bob');
    await bob.click(`#rooms button[data-room=${ROOM}]`);
    await bob.waitForSelector('#members li[data-user=ann]');
    await ann.waitForSelector('#members li[data-user=bob]');
    await eventText(ann, 'Bob joined');
    // Bob learns who is here from his snapshot, Ann learns of Bob from a diff.
    await presence(bob, 'ann', true);
    await presence(ann, 'bob', true);
    for (const page of [ann, bob]) await presentCount(page, 2);

    await ann.fill('#post input[name=text]', 'hello from Ann');
    await ann.click('#post button');
    await eventText(bob, 'hello from Ann');
    await bob.fill('#post input[name=text]', 'hi Ann');
    await bob.press('#post input[name=text]', 'Enter');
    await eventText(ann, 'hi Ann');
    // Presence is no event: the list shows membership and chat only.
    const types = await ann.$$eval('#events li[data-seq]', (items) => items.map((item) => item.dataset.type));
    expect(new Set(types)).toEqual(new Set(['member.joined', 'chat.message']));
  });

  it('shows an event published over REST in both pages', async () => {
    const carol = await restUser(server, 'carol');
    await joinOverRest(server, carol);
    await postMessages(server, carol, 1, 'a word from the backend');
    for (const page of [ann, bob]) {
      await eventText(page, 'carol joined');
      await eventText(page, 'a word from the backend 1');
    }
  });

  it('reconnects both pages after the server drops every connection mid-stream, each event shown once, in order', async () => {
    const carol = await restUser(server, 'carol');
    const publishing = postMessages(server, carol, 30, 'published during the drop');
    await shownUpTo(ann, (await roomLastSeq(server.baseUrl, carol, ROOM)) + 1);
    server.app.connections.closeAll(1001, 'test drops every connection');
    await publishing;
    const lastSeq = await roomLastSeq(server.baseUrl, carol, ROOM);
    for (const page of [ann, bob]) {
      await shownUpTo(page, lastSeq);
      await page.waitForSelector('#events li.status:has-text("Reconnected")');
      await page.waitForSelector('#connection[data-state=open]');
      await expectEverySeqOnce(page);
    }
    // Each rejoin's snapshot brings both back.
    await presence(ann, 'bob', true);
    await presence(bob, 'ann', true);
  });

  it('catches up on the events published while the server was down, once it is back on the same port', async () => {
    const port = server.app.port;
    await server.stop();
    for (const page of [ann, bob]) await page.waitForSelector('#connection[data-state=reconnecting]');

    // Another node on the same database takes the events while this one is down.
    const other = await startTestServer(DEMO_SERVER_ENV, database);
    let lastSeq: number;
    try {
      const dave = await restUser(other, 'dave');
      await joinOverRest(other, dave);
      await postMessages(other, dave, 10, 'sent while the server was down');
      lastSeq = await roomLastSeq(other.baseUrl, dave, ROOM);
    } finally {
      await other.stop();
    }

    // Back with a new random development secret: the pages fetch fresh tokens to reconnect.
    server = await startTestServer({ ...DEMO_SERVER_ENV, PORT: String(port) }, database);
    for (const page of [ann, bob]) {
      await shownUpTo(page, lastSeq);
      await page.waitForSelector('#connection[data-state=open]');
      await expectEverySeqOnce(page);
      expect(await page.locator('#events li.caught-up').count()).toBeGreaterThanOrEqual(11);
    }
    await mkdir('test-results', { recursive: true });
    await ann.screenshot({ path: 'test-results/demo.png', fullPage: true });
  });

  it('marks someone who closes the page as gone, without a line in the event list', async () => {
    const shown = (await shownSeqs(ann)).length;
    await bob.close();
    await presence(ann, 'bob', false);
    await presentCount(ann, 1);
    expect(await shownSeqs(ann)).toHaveLength(shown);
  });
});
