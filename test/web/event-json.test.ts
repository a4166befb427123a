import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RoomEvent } from '../../src/domain/room-event.js';
import { eventJson, eventJsonText } from '../../src/web/event-json.js';
import { eventMessage } from '../../src/web/hub/outbound-message.js';
import { WEBSOCKET_ENCODING } from '../../src/web/ws/codec.js';

const anyEvent = fc.record({
  room: fc.string(),
  seq: fc.nat(),
  type: fc.string(),
  data: fc.jsonValue(),
  sender: fc.string(),
  at: fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(Date.UTC(9999, 0)) }),
});

describe('eventJsonText', () => {
  it('writes the text JSON.stringify writes, with the data as its publisher serialised it or not', () => {
    fc.assert(
      fc.property(anyEvent, (event: RoomEvent) => {
        const expected = JSON.stringify(eventJson(event));
        expect(eventJsonText(event)).toBe(expected);
        expect(eventJsonText({ ...event, dataJson: JSON.stringify(event.data) })).toBe(expected);
      }),
    );
  });

  it('makes the event frame from the same text, led by its op', () => {
    const event: RoomEvent = {
      room: 'lobby',
      seq: 7,
      type: 'chat',
      data: { text: 'hé "quoted"' },
      dataJson: '{"text":"hé \\"quoted\\""}',
      sender: 'ann',
      at: new Date(Date.UTC(2024, 0, 1)),
    };
    const frame = eventMessage(event).encodedAs(WEBSOCKET_ENCODING);
    expect(JSON.parse(frame.payload.toString('utf8'))).toEqual({ op: 'event', ...eventJson(event) });
  });
});
