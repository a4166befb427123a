import { Writable } from 'node:stream';
import { type Level, type Logger, pino } from 'pino';

/** A pino logger whose lines are kept, parsed, in `lines`. */
export function capturingLogger(level: Level = 'debug'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
