import type { CpuUsage } from './proc-stats.js';

/** The three servers the benchmark compares, in the report's order; each speaks its own client protocol. */
export const TARGET_KINDS = ['roomcast', 'ws-raw', 'socket.io'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** How the load generator reaches a running target. */
export interface TargetAddress {
  readonly kind: TargetKind;
  readonly host: string;
  readonly port: number;
  /** The server process, whose CPU the load generator samples around each window. */
  readonly serverPid: number;
  /** Bearer token for roomcast (a service token: it subscribes and publishes without membership). */
  readonly token?: string;
  /** roomcast's AUTH_SECRET, with which the load generator signs a token for each user subscriber. */
  readonly userSecret?: string;
}

/** Summary of a set of latencies, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Opens `perRoom` subscribers on each room, at most `concurrency` handshakes at a time. */
export interface ConnectCommand {
  readonly kind: 'connect';
  readonly rooms: readonly string[];
  readonly perRoom: number;
  readonly concurrency: number;
  /**
   * roomcast only: each subscriber is a user of its own (`u-<room>-<k>`, a token signed with
   * `userSecret`), whose `join` makes it a member and present, as a person's does; otherwise
   * every subscriber uses the service token, which skips membership and presence.
   */
  readonly asUsers?: boolean;
  /**
   * Loopback addresses to connect from, taken in turn (subscriber k from the k-th mod their
   * count): each gives its own range of ephemeral ports. Absent: the kernel picks.
   */
  readonly sourceAddresses?: readonly string[];
  /**
   * roomcast only: `sse` subscribes each with an event stream (`GET /v1/rooms/:room/stream`)
   * instead of a WebSocket `join`; as users, each is made a member over REST first, before the
   * clock starts (a stream never makes a member). Default `websocket`.
   */
  readonly transport?: 'websocket' | 'sse';
}

export interface ConnectResult {
  readonly opened: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  /** From the first upgrade request to the last handshake done (socket.io: its namespace connect too). */
  readonly handshakeMs: number;
  /** roomcast only: from the first `join` (or stream request) to the last `ok` (or `ready`); the others join during the handshake. */
  readonly subscribeMs: number;
  readonly handshake: CpuUsage;
  /** From the first `join` to the last `ok` (roomcast; nothing for the others). */
  readonly subscribe: CpuUsage;
}

/** Waits until no frame has arrived for about half a second (e.g. after users joined: their membership and presence events). */
export interface SettleCommand {
  readonly kind: 'settle';
}

export interface SettleResult {
  /** From the command (connecting done) until the last frame before the quiet (0 when none came then). */
  readonly settleMs: number;
  /** Frames received by live subscribers since the last connect began: its whole storm. */
  readonly frames: number;
  /** False when frames were still arriving at the time limit. */
  readonly isQuiet: boolean;
}

/** Publishes `rate` events/s, round-robin over `rooms`, for `durationMs`, then waits for delivery. */
export interface PublishCommand {
  readonly kind: 'publish';
  readonly rooms: readonly string[];
  readonly rate: number;
  readonly durationMs: number;
  /** Each subscriber parses one message in this many (on average, at random) for its timestamp. */
  readonly sampleEvery: number;
}

export interface PublishResult {
  readonly issued: number;
  readonly accepted: number;
  readonly expected: number;
  readonly delivered: number;
  /** 1 - delivered / (issued × subscribers per room). */
  readonly loss: number;
  /** Subscribers closed by the server during the window. */
  readonly dropped: number;
  /** POST sent → event received. */
  readonly latency: LatencySummary;
  readonly post: LatencySummary;
  /** While publishing (the drain afterwards excluded). */
  readonly publishing: CpuUsage;
  /** From the first POST until the last message arrived (or delivery stopped). */
  readonly whole: CpuUsage;
  readonly deliveredPerSecond: number;
}

/**
 * Closed loop: `concurrency` publishers POST back to back, round-robin over `rooms`, for
 * `durationMs`; with `batchSize` (roomcast only), each POST is a batch of that many events to
 * `POST /v1/events`, taking the next rooms in turn.
 */
export interface HammerCommand {
  readonly kind: 'hammer';
  readonly rooms: readonly string[];
  readonly concurrency: number;
  readonly durationMs: number;
  readonly batchSize?: number;
  /** roomcast only: every single-event POST carries an `Idempotency-Key` of its own. */
  readonly isKeyed?: boolean;
}

export interface HammerResult {
  readonly accepted: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  readonly acceptedPerSecond: number;
  readonly post: LatencySummary;
  readonly usage: CpuUsage;
}

/**
 * A reconnect storm: every live subscriber drops at once and reconnects, rejoining as soon as it
 * is connected (roomcast: with `since` = its room's last seq before the drop and its `epoch`),
 * at most `concurrency` at a time; then waits until no frame has come for half a second.
 */
export interface StormCommand {
  readonly kind: 'storm';
  readonly concurrency: number;
}

export interface StormResult {
  readonly clients: number;
  readonly rejoined: number;
  readonly firstError: string | undefined;
  /** roomcast: rejoins answered `recovered: true`; the others: every rejoin. */
  readonly recovered: number;
  /** From the first reconnect to the last rejoin answered: when every client has caught up. */
  readonly rejoinMs: number;
  readonly rejoin: CpuUsage;
  /** Frames the rejoined clients received from the first reconnect until the quiet. */
  readonly frames: number;
  readonly isQuiet: boolean;
}

export type LoadCommand = ConnectCommand | SettleCommand | PublishCommand | HammerCommand | StormCommand;

/** What each command answers. */
export interface LoadResults {
  connect: ConnectResult;
  settle: SettleResult;
  publish: PublishResult;
  hammer: HammerResult;
  storm: StormResult;
}

/** A message on the IPC channel between the harness and the load generator. */
export type LoadRequest = { readonly id: number; readonly command: LoadCommand };
export type LoadReply = { readonly id: number; readonly result?: unknown; readonly error?: string };
