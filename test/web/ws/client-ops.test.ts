import { afterEach, describe, expect, it } from 'vitest';
import { type ClientOp, type FrameProblem, parseClientFrame } from '../../../src/web/ws/client-ops.js';

function problemOf(frame: unknown): FrameProblem {
  const result = parseClientFrame(typeof frame === 'string' ? frame : JSON.stringify(frame));
  if (!('problem' in result)) throw new Error(`expected a problem, got ${JSON.stringify(result)}`);
  return result.problem;
}

function opOf(frame: object): { op: ClientOp; id: string | number | undefined } {
  const result = parseClientFrame(JSON.stringify(frame));
  if ('problem' in result) throw new Error(`expected an op, got ${JSON.stringify(result.problem)}`);
  return result;
}

describe('parseClientFrame: malformed frames', () => {
  it.each(['', 'not json', '{"op":', "{'op':'join'}", '{"op":"join",}'])(
    'refuses %j as not JSON with invalid_message',
    (text) => {
      expect(problemOf(text)).toEqual({ id: undefined, code: 'invalid_message', message: 'frame is not valid JSON' });
    },
  );

  it.each(['[]', '[{"op":"join","room":"a"}]', '42', '"join"', 'null', 'true'])(
    'refuses %s, not an object, with invalid_message',
    (text) => {
      expect(problemOf(text)).toMatchObject({ id: undefined, code: 'invalid_message' });
    },
  );

  it.each([{ id: {} }, { id: [] }, { id: true }, { id: null }, { id: 'x'.repeat(129) }])(
    'refuses a bad id %j with invalid_message and echoes no id',
    (frame) => {
      const problem = problemOf({ ...frame, op: 'join', room: 'lobby' });
      expect(problem.code).toBe('invalid_message');
      expect(problem.id).toBeUndefined();
      expect(problem.message).toMatch(/^id:/);
    },
  );

  it('refuses a frame without an op, echoing its id', () => {
    expect(problemOf({ id: 7, room: 'lobby' })).toEqual({
      id: 7,
      code: 'invalid_message',
      message: 'op: must be a string',
    });
    expect(problemOf({ id: 'a', op: 5 })).toMatchObject({ id: 'a', code: 'invalid_message' });
  });

  it.each(['subscribe', 'JOIN', 'toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'refuses the unknown op %s with unknown_op, echoing the id',
    (op) => {
      expect(problemOf({ id: 'req-1', op })).toMatchObject({ id: 'req-1', code: 'unknown_op' });
    },
  );

  it('keeps an unknown op name short in the message', () => {
    expect(problemOf({ op: 'x'.repeat(10_000) }).message.length).toBeLessThan(100);
  });

  it.each([
    ['room', { op: 'join', room: 5 }],
    ['since', { op: 'join', room: 'lobby', since: '3' }],
    ['types', { op: 'join', room: 'lobby', types: 'chat' }],
    ['types.0', { op: 'join', room: 'lobby', types: [1] }],
    ['epoch', { op: 'join', room: 'lobby', epoch: 3 }],
    ['room', { op: 'unsubscribe' }],
    ['types', { op: 'filter', room: 'lobby' }],
    ['type', { op: 'publish', room: 'lobby', type: ['chat'], data: 1 }],
  ])('refuses a missing or wrongly typed %s with invalid_message naming it', (field, frame) => {
    const problem = problemOf({ id: 1, ...frame });
    expect(problem).toMatchObject({ id: 1, code: 'invalid_message' });
    expect(problem.message.startsWith(`${field}:`)).toBe(true);
  });

  it('refuses a publish without data with invalid_message', () => {
    expect(problemOf({ id: 2, op: 'publish', room: 'lobby', type: 'chat' })).toEqual({
      id: 2,
      code: 'invalid_message',
      message: 'data: is required',
    });
  });
});

describe('parseClientFrame: unacceptable values', () => {
  it.each(['Lobby', '-lobby', '', 'a'.repeat(65), 'lob by', 'lobby/1', 'é'])(
    'refuses the room %j with invalid_request',
    (room) => {
      const problem = problemOf({ id: 3, op: 'join', room });
      expect(problem).toMatchObject({ id: 3, code: 'invalid_request' });
      expect(problem.message).toMatch(/^room:/);
    },
  );

  it.each(['Chat', '1chat', '', 'a'.repeat(65), 'chat message', '.chat'])(
    'refuses the event type %j with invalid_request',
    (type) => {
      const problem = problemOf({ op: 'publish', room: 'lobby', type, data: 1 });
      expect(problem).toMatchObject({ code: 'invalid_request' });
      expect(problem.message).toMatch(/^type:/);
    },
  );

  it('refuses a bad type inside a filter, a negative since and a long epoch with invalid_request', () => {
    expect(problemOf({ op: 'filter', room: 'lobby', types: ['ok', 'Not-Ok'] })).toMatchObject({
      code: 'invalid_request',
    });
    expect(problemOf({ op: 'join', room: 'lobby', since: -1 })).toMatchObject({ code: 'invalid_request' });
    expect(problemOf({ op: 'join', room: 'lobby', epoch: 'e'.repeat(129) })).toMatchObject({ code: 'invalid_request' });
    expect(problemOf({ op: 'join', room: 'lobby', types: Array.from({ length: 101 }, () => 'chat') })).toMatchObject({
      code: 'invalid_request',
    });
  });
});

describe('parseClientFrame: valid frames', () => {
  it('parses a join with every field, and a bare one', () => {
    expect(opOf({ id: 'j1', op: 'join', room: 'lobby', since: 4, epoch: 'e1', types: ['chat'] })).toEqual({
      op: { op: 'join', room: 'lobby', since: 4, epoch: 'e1', types: ['chat'] },
      id: 'j1',
    });
    expect(opOf({ op: 'join', room: 'lobby' })).toEqual({ op: { op: 'join', room: 'lobby' }, id: undefined });
    expect(opOf({ op: 'join', room: 'lobby', types: null }).op).toEqual({ op: 'join', room: 'lobby', types: null });
  });

  it('parses unsubscribe, leave and filter', () => {
    expect(opOf({ id: 1, op: 'unsubscribe', room: 'lobby' })).toEqual({
      op: { op: 'unsubscribe', room: 'lobby' },
      id: 1,
    });
    expect(opOf({ id: 2, op: 'leave', room: 'lobby' })).toEqual({ op: { op: 'leave', room: 'lobby' }, id: 2 });
    expect(opOf({ op: 'filter', room: 'lobby', types: ['a', 'b.c'] }).op).toEqual({
      op: 'filter',
      room: 'lobby',
      types: ['a', 'b.c'],
    });
    expect(opOf({ op: 'filter', room: 'lobby', types: null }).op).toEqual({ op: 'filter', room: 'lobby', types: null });
  });

  it.each([null, 0, false, '', [], { nested: { deep: [1, 'two'] } }])('parses a publish whose data is %j', (data) => {
    expect(opOf({ id: 0, op: 'publish', room: 'lobby', type: 'chat', data })).toEqual({
      op: { op: 'publish', room: 'lobby', type: 'chat', data },
      id: 0,
    });
  });

  it('drops fields an op does not know', () => {
    expect(opOf({ op: 'leave', room: 'lobby', extra: true, since: 3 }).op).toEqual({ op: 'leave', room: 'lobby' });
  });
});

describe('parseClientFrame: prototype pollution', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('neither pollutes Object.prototype nor lets __proto__ through', () => {
    const frames = [
      '{"op":"join","room":"lobby","__proto__":{"polluted":true}}',
      '{"__proto__":{"polluted":true},"op":"publish","room":"lobby","type":"chat","data":{"__proto__":{"polluted":true}}}',
      '{"op":"filter","room":"lobby","types":null,"constructor":{"prototype":{"polluted":true}}}',
    ];
    const results = frames.map((frame) => parseClientFrame(frame));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    for (const result of results) {
      expect('op' in result).toBe(true);
      if ('op' in result) expect(Object.hasOwn(result.op, '__proto__')).toBe(false);
    }
  });
});
