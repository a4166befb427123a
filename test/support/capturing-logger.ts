import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { type Level, type Logger, pino } from 'pino';
import { onEvent, when } from './eventually.js';

/** A logger whose lines are kept, parsed, and a wait on the lines to come. */
export interface CapturedLog {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  /** How many lines so far carry this message. */
  count(msg: string): number;
  /** Resolves once `condition` holds, checked again at each new line; rejects with `what` after `timeoutMs`. */
  until(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
}

/** A pino logger whose lines are kept, parsed, in `lines` (pino writes to a plain stream as it logs). */
export function capturingLogger(level: Level = 'debug'): CapturedLog {
  const lines: Record<string, unknown>[] = [];
  const arrivals = new EventEmitter();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      arrivals.emit('line');
      done();
    },
  });
  return {
    logger: pino({ level }, sink),
    lines,
    count: (msg) => lines.filter((line) => line.msg === msg).length,
    until: (condition, what, timeoutMs = 10_000) => when(condition, onEvent(arrivals, 'line'), timeoutMs, what),
  };
}
