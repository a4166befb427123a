import type { EmbeddedFootprintResult } from '../scenarios/embedded-footprint.js';
import type { FanOutResult } from '../scenarios/fan-out.js';
import type { IdleLadderResult } from '../scenarios/idle-ladder.js';
import type { IdleMemoryResult } from '../scenarios/idle-memory.js';
import type { ManyRoomsResult } from '../scenarios/many-rooms.js';
import type { PublishThroughputResult } from '../scenarios/publish-throughput.js';
import type { ReconnectStormResult } from '../scenarios/reconnect-storm.js';
import type { SqlPublishLatencyResult } from '../scenarios/sql-publish-latency.js';
import type { BenchSettings } from '../settings.js';
import type { TargetKind } from '../shared/commands.js';
import type { MachineInfo } from './machine.js';

/** The scenarios run against every target. */
export interface TargetResults {
  fanOut?: FanOutResult;
  /** roomcast only: the fan-out with every subscriber an event stream (users, members and present). */
  fanOutSse?: FanOutResult;
  manyRooms?: ManyRoomsResult;
  idle?: IdleMemoryResult;
  storm?: ReconnectStormResult;
  /** Scenario name → why it failed. */
  readonly errors: Record<string, string>;
}

export type ScaleOutResult =
  { readonly skipped: string } | { readonly withRedis: FanOutResult; readonly withoutRedis: FanOutResult | undefined };

/** Everything one run of the harness measured. */
export interface BenchResults {
  readonly date: string;
  readonly command: string;
  readonly settings: BenchSettings;
  readonly machine: MachineInfo;
  readonly storage: string;
  /** Fan-out and many rooms: roomcast's subscribers are users (members, present), the judged measure. */
  readonly targets: Partial<Record<TargetKind, TargetResults>>;
  /** roomcast's fan-out and many rooms again with service-token subscribers (no membership, no presence). */
  roomcastAsService?: TargetResults;
  publish?: PublishThroughputResult | { readonly error: string };
  scaleOut?: ScaleOutResult;
  /** With DATABASE_URL: roomcast's scenarios again on the embedded database (user subscribers), and its publish throughput. */
  embedded?: { readonly targets: TargetResults; publish?: PublishThroughputResult | { readonly error: string } };
  /** With DATABASE_URL: events published from SQL, commit → push latency. */
  sqlPublish?: SqlPublishLatencyResult | { readonly skipped: string } | { readonly error: string };
  /** roomcast on the embedded database, whatever DATABASE_URL says. */
  footprint?: EmbeddedFootprintResult | { readonly error: string };
  /** With `--footprint-connections`: the same idle ladder on each peer target selected. */
  footprintPeers?: Partial<Record<TargetKind, IdleLadderResult | { readonly error: string }>>;
  durationMs?: number;
}
