import { describe, expect, it } from 'vitest';
import { WebhookTypes } from '../../src/domain/webhook.js';
import { MAX_RETRY_DELAY_MS, RetryPolicy } from '../../src/domain/webhook-retry.js';

describe('WebhookTypes', () => {
  it('matches exact types and prefixes, as WEBHOOK_EVENTS spells them', () => {
    const types = WebhookTypes.parse('room.*, member.joined,chat_x.*');
    expect(String(types)).toBe('room.*,member.joined,chat_x.*');
    expect(types.includes('room.created')).toBe(true);
    expect(types.includes('member.joined')).toBe(true);
    expect(types.includes('member.left')).toBe(false);
    expect(types.includes('chat_x.line')).toBe(true);
    expect(types.includes('chatyx.line')).toBe(false);
    expect(WebhookTypes.parse('*').includes('anything.at-all')).toBe(true);
  });

  it.each(['', 'Room.*', 'room.*.x', '*room', 'a b', 'room.*,'])('refuses %j', (list) => {
    expect(() => WebhookTypes.parse(list)).toThrow(/is not an event type, or a prefix ending in \*/);
  });
});

describe('RetryPolicy', () => {
  it('waits about base × 2^(n−1) before the n-th retry, jittered by ±20 %', () => {
    const low = new RetryPolicy(10, 5000, () => 0);
    const high = new RetryPolicy(10, 5000, () => 1);
    const middle = new RetryPolicy(10, 5000, () => 0.5);
    expect([1, 2, 3, 4].map((attempts) => middle.afterFailure(attempts))).toEqual(
      [5000, 10_000, 20_000, 40_000].map((retryInMs) => ({ retryInMs })),
    );
    expect(low.afterFailure(1)).toEqual({ retryInMs: 4000 });
    expect(high.afterFailure(1)).toEqual({ retryInMs: 6000 });
  });

  it('caps each wait at an hour, jitter included', () => {
    const policy = new RetryPolicy(100, 5000, () => 1);
    expect(policy.afterFailure(30)).toEqual({ retryInMs: MAX_RETRY_DELAY_MS });
    expect(new RetryPolicy(100, 5000, () => 0).afterFailure(30)).toEqual({ retryInMs: 0.8 * MAX_RETRY_DELAY_MS });
  });

  it('drops the message once its last attempt failed', () => {
    const policy = new RetryPolicy(3, 100);
    expect(policy.afterFailure(2)).toHaveProperty('retryInMs');
    expect(policy.afterFailure(3)).toEqual({ drop: true });
    expect(new RetryPolicy(1, 100).afterFailure(1)).toEqual({ drop: true });
  });
});
