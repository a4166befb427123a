import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type BrokerMessage, decodeBrokerMessage, encodeBrokerMessage } from '../../src/cluster/broker-message.js';
import type { RoomEvent } from '../../src/domain/room-event.js';

const AT = new Date(Date.UTC(2024, 0, 1, 12, 30, 45, 123));

/** An event as a node publishes it; `data` and the other fields can be overridden. */
function event(overrides: Partial<RoomEvent> = {}): RoomEvent {
  return { room: 'lobby', seq: 7, type: 'chat', data: { text: 'hi' }, sender: 'ann', at: AT, ...overrides };
}

/** An event in its wire form (the time as an ISO string), for hand-built messages. */
function wireEvent(): Record<string, unknown> {
  return { room: 'lobby', seq: 7, type: 'chat', data: { text: 'hi' }, sender: 'ann', at: AT.toISOString() };
}

/** `wireEvent()` without `field`. */
function wireEventWithout(field: string): Record<string, unknown> {
  const { [field]: _dropped, ...rest } = wireEvent();
  return rest;
}

function roundTrip(message: BrokerMessage): BrokerMessage | undefined {
  return decodeBrokerMessage(encodeBrokerMessage(message));
}

describe('encodeBrokerMessage and decodeBrokerMessage', () => {
  it('round-trip an event exactly, its time coming back as an equal Date', () => {
    const message = { node: 'node-a', event: event() };
    const decoded = roundTrip(message);
    expect(decoded).toStrictEqual(message);
    const at = decoded && 'event' in decoded ? decoded.event.at : undefined;
    expect(at).toBeInstanceOf(Date);
    expect(at?.getTime()).toBe(AT.getTime());
  });

  it('send the time as an ISO string in one JSON text', () => {
    const text = encodeBrokerMessage({ node: 'node-a', event: event() });
    expect(JSON.parse(text)).toEqual({ node: 'node-a', event: wireEvent() });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['zero', 0],
    ['a negative fraction', -1.5],
    ['false', false],
    ['true', true],
    ['an empty string', ''],
    ['a string with quotes, backslashes and newlines', 'say "hi"\\\n\tthere'],
    ['unicode text', 'héllo 🎉 中文 \u2028\u2029 \u0000'],
    ['an empty array', []],
    ['an empty object', {}],
    ['nested arrays and objects', { list: [1, 'two', { three: [null, true, { four: 4.25 }] }], empty: {} }],
    ['unicode keys', { 'clé 🔑': ['ü', { ключ: 'значение' }] }],
  ])('round-trip event data that is %s', (_kind, data) => {
    const message = { node: 'node-a', event: event({ data }) };
    expect(roundTrip(message)).toStrictEqual(message);
  });

  it('round-trip unicode in every string field of an event', () => {
    const message = {
      node: 'nœud-🎉',
      event: event({ room: 'salle-été', type: 'msg.中文', sender: 'zoë 😀' }),
    };
    expect(roundTrip(message)).toStrictEqual(message);
  });

  it('send the data once, without the text a publisher serialised it to', () => {
    const text = encodeBrokerMessage({ node: 'a', event: { ...event(), dataJson: '{"text":"hi"}' } });
    expect(text).not.toContain('dataJson');
    expect(decodeBrokerMessage(text)).toEqual({ node: 'a', event: event() });
  });

  it('round-trip an eviction', () => {
    const message = { node: 'node-b', eviction: { room: 'lobby', user: 'bob' } };
    expect(roundTrip(message)).toStrictEqual(message);
  });

  it('round-trip any well-formed event', () => {
    const wellFormedEvent = fc.record({
      room: fc.string({ unit: 'binary' }),
      seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      type: fc.string({ unit: 'binary' }),
      // Parsed JSON text: any value JSON can carry (fc.jsonValue also yields -0, which JSON writes as 0).
      data: fc.json().map((text) => JSON.parse(text) as unknown),
      sender: fc.string({ unit: 'binary' }),
      at: fc.date({ noInvalidDate: true }),
    });
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), wellFormedEvent, (node, roomEvent) => {
        // toEqual, not toStrictEqual: fast-check builds its objects without a prototype.
        const message = { node, event: roomEvent };
        expect(roundTrip(message)).toEqual(message);
      }),
    );
  });

  it('round-trip any eviction', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.string(), (room, user, node) => {
        const message = { node, eviction: { room, user } };
        expect(roundTrip(message)).toStrictEqual(message);
      }),
    );
  });
});

describe('decodeBrokerMessage', () => {
  it.each(['', 'not json', '{"node":', "{'node':'a'}", 'undefined', '{"node":"a"} trailing'])(
    'returns undefined for text that is not JSON: %j',
    (text) => {
      expect(decodeBrokerMessage(text)).toBeUndefined();
    },
  );

  it.each(['null', '42', '"node"', 'true', '[]', '[{"node":"a","eviction":{"room":"r","user":"u"}}]'])(
    'returns undefined for JSON that is not an object: %s',
    (text) => {
      expect(decodeBrokerMessage(text)).toBeUndefined();
    },
  );

  it.each<[string, Record<string, unknown>]>([
    ['missing', {}],
    ['a number', { node: 1 }],
    ['null', { node: null }],
    ['an object', { node: { id: 'a' } }],
  ])('returns undefined when node is %s', (_case, node) => {
    expect(decodeBrokerMessage(JSON.stringify({ ...node, event: wireEvent() }))).toBeUndefined();
    expect(decodeBrokerMessage(JSON.stringify({ ...node, eviction: { room: 'r', user: 'u' } }))).toBeUndefined();
  });

  it.each(['room', 'seq', 'type', 'data', 'sender', 'at'])('returns undefined for an event without %s', (field) => {
    expect(decodeBrokerMessage(JSON.stringify({ node: 'a', event: wireEventWithout(field) }))).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>]>([
    ['room as a number', { room: 1 }],
    ['room as null', { room: null }],
    ['seq as a string', { seq: '7' }],
    ['seq as null', { seq: null }],
    ['type as an array', { type: ['chat'] }],
    ['sender as an object', { sender: { id: 'ann' } }],
    ['at as a number', { at: AT.getTime() }],
    ['at as null', { at: null }],
    // Accepted, it became an Invalid Date that threw when the event was encoded for a client.
    ['at that is no time', { at: 'yesterday' }],
    ['seq of 0', { seq: 0 }],
    ['seq that is a fraction', { seq: 1.5 }],
  ])('returns undefined for an event with %s', (_case, override) => {
    expect(decodeBrokerMessage(JSON.stringify({ node: 'a', event: { ...wireEvent(), ...override } }))).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'event'],
    ['an array', [wireEvent()]],
  ])('returns undefined when event is %s', (_case, value) => {
    expect(decodeBrokerMessage(JSON.stringify({ node: 'a', event: value }))).toBeUndefined();
  });

  it.each<[string, unknown]>([
    ['room as a number', { room: 1, user: 'u' }],
    ['user as null', { room: 'r', user: null }],
    ['no user', { room: 'r' }],
    ['no room', { user: 'u' }],
    ['null in place of the object', null],
    ['a string in place of the object', 'r:u'],
  ])('returns undefined for an eviction with %s', (_case, eviction) => {
    expect(decodeBrokerMessage(JSON.stringify({ node: 'a', eviction }))).toBeUndefined();
  });

  it('returns undefined for an object with neither event nor eviction', () => {
    expect(decodeBrokerMessage('{"node":"a"}')).toBeUndefined();
    expect(decodeBrokerMessage('{"node":"a","kind":"event","payload":{}}')).toBeUndefined();
  });

  it('never throws, whatever the text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
        const decoded = decodeBrokerMessage(text);
        expect(decoded === undefined || typeof decoded.node === 'string').toBe(true);
      }),
    );
  });
});
