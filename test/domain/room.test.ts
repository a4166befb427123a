import { describe, expect, it } from 'vitest';
import { RoomFull } from '../../src/domain/errors.js';
import { Room } from '../../src/domain/room.js';

function roomWith(memberCount: number, capacity: number): Room {
  return new Room('lobby', 'Lobby', capacity, 0, 'epoch-1', new Date(0), memberCount);
}

describe('Room', () => {
  it('has room for one more member below capacity', () => {
    expect(roomWith(0, 1).canJoin()).toBe(true);
    expect(roomWith(999, 1000).canJoin()).toBe(true);
    expect(() => roomWith(999, 1000).assertCanJoin()).not.toThrow();
  });

  it('is full at capacity, and past it', () => {
    expect(roomWith(1, 1).canJoin()).toBe(false);
    expect(roomWith(1000, 1000).canJoin()).toBe(false);
    expect(roomWith(1001, 1000).canJoin()).toBe(false);
  });

  it('refuses one more member at capacity with room_full, naming the room and its capacity', () => {
    let thrown: unknown;
    try {
      roomWith(3, 3).assertCanJoin();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RoomFull);
    expect(thrown).toMatchObject({ code: 'room_full', message: "room 'lobby' is full (3 members)" });
  });
});
