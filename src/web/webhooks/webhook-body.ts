import type { WebhookMessage } from '../../domain/webhook.js';
import { eventJsonText } from '../event-json.js';

/**
 * The body of a webhook, the same text on every attempt: `{"type","timestamp","data"}`, where
 * `data` holds `room` and, for a stored event, the whole `event` as clients see it (its data
 * exactly as published); a room message's details sit beside `room`.
 */
export function webhookBody(message: WebhookMessage): string {
  const data = message.event
    ? `{"room":${JSON.stringify(message.room)},"event":${eventJsonText(message.event)}}`
    : JSON.stringify({ room: message.room, ...message.details });
  return `{"type":${JSON.stringify(message.type)},"timestamp":"${message.occurredAt.toISOString()}","data":${data}}`;
}
