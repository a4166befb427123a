import { describe, expect, it } from 'vitest';
import { Forbidden, InvalidRequest, PayloadTooLarge } from '../../src/domain/errors.js';
import {
  MAX_EVENT_DATA_BYTES,
  MAX_EVENT_DATA_DEPTH,
  MEMBER_JOINED,
  MEMBER_LEFT,
  assertPublishable,
  isReservedType,
} from '../../src/domain/room-event.js';

/** The UTF-8 size of `data` as the server serialises it. */
function jsonBytes(data: unknown): number {
  return Buffer.byteLength(JSON.stringify(data), 'utf8');
}

function thrownBy(action: () => void): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('isReservedType', () => {
  it.each([MEMBER_JOINED, MEMBER_LEFT, 'member.anything', 'presence.typing', 'presence.'])(
    'reserves %s for the server',
    (type) => {
      expect(isReservedType(type)).toBe(true);
    },
  );

  it.each(['chat', 'member', 'presence', 'members.joined', 'memberjoined', 'chat.member.joined', 'x.presence.y'])(
    'leaves %s to publishers',
    (type) => {
      expect(isReservedType(type)).toBe(false);
    },
  );
});

describe('assertPublishable', () => {
  it('accepts any JSON value of a free type, null included', () => {
    for (const data of [null, 0, false, '', [], {}, { nested: [1, 'two', { three: 3 }] }]) {
      expect(() => assertPublishable('chat', data)).not.toThrow();
    }
  });

  it('refuses a reserved type with forbidden, whatever the data', () => {
    const error = thrownBy(() => assertPublishable('member.joined', { userId: 'ann' }));
    expect(error).toBeInstanceOf(Forbidden);
    expect(error).toMatchObject({ code: 'forbidden' });
  });

  it('checks the type before the size', () => {
    expect(thrownBy(() => assertPublishable('presence.x', 'x'.repeat(MAX_EVENT_DATA_BYTES)))).toBeInstanceOf(Forbidden);
  });

  it('accepts exactly 64 KiB of serialised JSON and refuses one byte more', () => {
    const exact = 'x'.repeat(MAX_EVENT_DATA_BYTES - 2);
    const over = 'x'.repeat(MAX_EVENT_DATA_BYTES - 1);
    expect(MAX_EVENT_DATA_BYTES).toBe(65536);
    expect(jsonBytes(exact)).toBe(65536);
    expect(() => assertPublishable('blob', exact)).not.toThrow();
    const error = thrownBy(() => assertPublishable('blob', over));
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect(error).toMatchObject({ code: 'payload_too_large', message: 'data is 65537 bytes; the limit is 65536' });
  });

  it('counts the bytes of the JSON form of objects, escapes included', () => {
    const filler = 'x'.repeat(MAX_EVENT_DATA_BYTES - '{"text":"\\""}'.length);
    const exact = { text: `"${filler}` };
    expect(jsonBytes(exact)).toBe(MAX_EVENT_DATA_BYTES);
    expect(() => assertPublishable('blob', exact)).not.toThrow();
    expect(thrownBy(() => assertPublishable('blob', { text: `"${filler}x` }))).toBeInstanceOf(PayloadTooLarge);
    expect(thrownBy(() => assertPublishable('blob', { text: `""${filler}` }))).toBeInstanceOf(PayloadTooLarge);
  });

  it('counts two-byte characters as two bytes, not one', () => {
    // 32767 × 'é' is 65534 bytes, plus the two quotes: exactly the limit in far fewer characters.
    const exact = 'é'.repeat(32767);
    expect(exact.length).toBeLessThan(MAX_EVENT_DATA_BYTES / 2);
    expect(jsonBytes(exact)).toBe(MAX_EVENT_DATA_BYTES);
    expect(() => assertPublishable('blob', exact)).not.toThrow();
    expect(thrownBy(() => assertPublishable('blob', `${exact}x`))).toBeInstanceOf(PayloadTooLarge);
  });

  it('counts four-byte characters (surrogate pairs) as four bytes', () => {
    // 16383 × '🎉' is 65532 bytes; with 'ab' and the quotes, exactly the limit.
    const exact = `${'🎉'.repeat(16383)}ab`;
    expect(jsonBytes(exact)).toBe(MAX_EVENT_DATA_BYTES);
    expect(() => assertPublishable('blob', exact)).not.toThrow();
    expect(thrownBy(() => assertPublishable('blob', `${exact}c`))).toBeInstanceOf(PayloadTooLarge);
    expect(thrownBy(() => assertPublishable('blob', `${'🎉'.repeat(16384)}`))).toBeInstanceOf(PayloadTooLarge);
  });

  it('accepts arrays and objects nested 100 levels deep and refuses 101 with invalid_request', () => {
    const nested = (depth: number, leaf: unknown): unknown => {
      let value = leaf;
      for (let level = 0; level < depth; level++) value = level % 2 === 0 ? [value] : { next: value };
      return value;
    };
    expect(MAX_EVENT_DATA_DEPTH).toBe(100);
    expect(() => assertPublishable('deep', nested(100, 'leaf'))).not.toThrow();
    const error = thrownBy(() => assertPublishable('deep', nested(101, 'leaf')));
    expect(error).toBeInstanceOf(InvalidRequest);
    expect(error).toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^data: /) });
  });

  it('measures nesting far deeper than JSON.stringify can go without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(thrownBy(() => assertPublishable('deep', deep))).toBeInstanceOf(InvalidRequest);
  });
});
