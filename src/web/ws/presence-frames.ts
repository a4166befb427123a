import type { PresenceUpdate } from '../../domain/presence-update.js';
import { type Frame, encodePresence } from './codec.js';

/** The frames of one presence update, each encoded once, when the first connection needs it. */
export class PresenceFrames {
  private snapshotFrame: Frame | undefined;
  private changeFrame: Frame | undefined;

  constructor(private readonly update: PresenceUpdate) {}

  get snapshot(): Frame {
    this.snapshotFrame ??= encodePresence(this.update.snapshot);
    return this.snapshotFrame;
  }

  /** Undefined when nothing changed. */
  get change(): Frame | undefined {
    const { change } = this.update;
    if (change === undefined) return undefined;
    if (change === this.update.snapshot) return this.snapshot;
    this.changeFrame ??= encodePresence(change);
    return this.changeFrame;
  }
}
