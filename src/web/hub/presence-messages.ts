import type { PresenceUpdate } from '../../domain/presence-update.js';
import { type OutboundMessage, presenceMessage } from './outbound-message.js';

/** The messages of one presence update, each made once, when the first subscriber needs it. */
export class PresenceMessages {
  private snapshotMessage: OutboundMessage | undefined;
  private changeMessage: OutboundMessage | undefined;

  constructor(private readonly update: PresenceUpdate) {}

  get snapshot(): OutboundMessage {
    this.snapshotMessage ??= presenceMessage(this.update.snapshot);
    return this.snapshotMessage;
  }

  /** Undefined when nothing changed. */
  get change(): OutboundMessage | undefined {
    const { change } = this.update;
    if (change === undefined) return undefined;
    if (change === this.update.snapshot) return this.snapshot;
    this.changeMessage ??= presenceMessage(change);
    return this.changeMessage;
  }
}
