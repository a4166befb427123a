import pg from 'pg';
import WebSocket from 'ws';
import type { LatencySummary } from '../shared/commands.js';
import { summarise } from '../load/stats.js';
import type { BenchSettings } from '../settings.js';
import type { Session } from './session.js';

export interface SqlPublishLatencyResult {
  readonly commits: number;
  readonly ratePerSecond: number;
  /** From the application sending COMMIT to the event arriving at a subscriber on the server. */
  readonly latency: LatencySummary;
  /** Committed events that never arrived. */
  readonly lost: number;
}

const ROOM = 'sql-latency';

/**
 * roomcast on PostgreSQL: an application's transactions each call `roomcast_publish` and commit,
 * one after another at `ratePerSecond`, on an otherwise idle server with one subscriber. Measures
 * how long after the COMMIT is sent the event reaches the subscriber (NOTIFY at commit, then the
 * node reads it from the database and pushes it).
 */
export async function runSqlPublishLatency(
  session: Session,
  settings: BenchSettings['sqlPublish'],
): Promise<SqlPublishLatencyResult> {
  const { target, log } = session;
  const { databaseUrl, address } = target;
  const { host, port, token } = address;
  if (!databaseUrl || !token) throw new Error('publishing from SQL needs roomcast on DATABASE_URL');
  await target.createRooms([ROOM]);
  const arrivals = new Map<number, number>();
  let allArrived = () => {};
  const subscriber = await joinedSubscriber(`ws://${host}:${port}/v1/ws`, token, (seq) => {
    arrivals.set(seq, performance.now());
    if (arrivals.size >= settings.commits) allArrived();
  });
  const application = new pg.Client({ connectionString: databaseUrl });
  await application.connect();
  const committing = new Map<number, number>();
  try {
    const startedAt = performance.now();
    for (let n = 0; n < settings.commits; n += 1) {
      const due = startedAt + (n * 1000) / settings.ratePerSecond;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      await application.query('BEGIN');
      const { rows } = await application.query<{ seq: string }>(
        `SELECT roomcast_publish($1, 'bench', $2::jsonb) AS seq`,
        [ROOM, JSON.stringify({ n })],
      );
      committing.set(Number(rows[0]!.seq), performance.now());
      await application.query('COMMIT');
    }
    // Whatever has not arrived 5 s after the last commit counts as lost.
    await new Promise<void>((resolve) => {
      allArrived = resolve;
      if (arrivals.size >= settings.commits) resolve();
      setTimeout(resolve, 5000).unref();
    });
  } finally {
    await application.end();
    subscriber.close();
  }
  const latencies = [...committing].flatMap(([seq, at]) => {
    const arrived = arrivals.get(seq);
    return arrived === undefined ? [] : [arrived - at];
  });
  const latency = summarise(latencies);
  log(`SQL publish: commit → push p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms`);
  return {
    commits: committing.size,
    ratePerSecond: settings.ratePerSecond,
    latency,
    lost: committing.size - latencies.length,
  };
}

/** A service-token subscriber joined to the room, reporting each event's seq as it arrives. */
function joinedSubscriber(url: string, token: string, onEvent: (seq: number) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, ['roomcast.v1', `roomcast.token.${token}`]);
    socket.on('open', () => socket.send(JSON.stringify({ op: 'join', id: 1, room: ROOM })));
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { op: string; seq?: number; code?: string };
      if (frame.op === 'event') onEvent(frame.seq!);
      else if (frame.op === 'ok') resolve(socket);
      else if (frame.op === 'error') reject(new Error(`join refused: ${frame.code}`));
    });
    socket.on('error', reject);
  });
}
