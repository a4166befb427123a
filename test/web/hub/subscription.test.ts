import { describe, expect, it } from 'vitest';
import { eventMessage } from '../../../src/web/hub/outbound-message.js';
import { Subscription } from '../../../src/web/hub/subscription.js';
import { FakeHubClient } from '../../support/fakes/fake-hub-client.js';
import { roomEvent, person } from '../../support/fakes/fixtures.js';

/** Offers room r's event `seq` as the Hub does: seq and type beside the message. */
function offer(subscription: Subscription, client: FakeHubClient, seq: number, type = 'chat'): number {
  return subscription.offer(client, seq, type, eventMessage(roomEvent('r', seq, type)));
}

function offerAll(subscription: Subscription, client: FakeHubClient, seqs: number[], type = 'chat'): number[] {
  return seqs.map((seq) => offer(subscription, client, seq, type));
}

function setUp(types: ReadonlySet<string> | null = null, maxHeldBytes = Number.POSITIVE_INFINITY) {
  return { subscription: new Subscription(types, maxHeldBytes), client: new FakeHubClient(person('ann')) };
}

describe('Subscription holding', () => {
  it('starts held and not present', () => {
    const { subscription, client } = setUp();
    expect(subscription.isPresent).toBe(false);
    expect(offerAll(subscription, client, [1, 2])).toEqual([0, 0]);
    expect(client.frames).toEqual([]);
  });

  it('on goLive sends only the held events after afterSeq, in order, and returns how many went out', () => {
    const { subscription, client } = setUp();
    offerAll(subscription, client, [1, 2, 3, 4]);
    expect(subscription.goLive(client, 2)).toBe(2);
    expect(client.received).toEqual(['r:3', 'r:4']);
  });

  it('sends the very message it was offered, not a copy', () => {
    const { subscription, client } = setUp();
    const message = eventMessage(roomEvent('r', 1));
    subscription.offer(client, 1, 'chat', message);
    subscription.goLive(client, 0);
    expect(client.messages[0]).toBe(message);
  });

  it('sends nothing held when goLive starts past every held event, and goes on from there', () => {
    const { subscription, client } = setUp();
    offerAll(subscription, client, [1, 2, 3]);
    expect(subscription.goLive(client, 10)).toBe(0);
    expect(offerAll(subscription, client, [10, 11])).toEqual([0, 1]);
    expect(client.received).toEqual(['r:11']);
  });

  it('ignores a second goLive: nothing is sent again and the position stays', () => {
    const { subscription, client } = setUp();
    offerAll(subscription, client, [1, 2]);
    expect(subscription.goLive(client, 0)).toBe(2);
    offer(subscription, client, 3);
    expect(subscription.goLive(client, 0)).toBe(0);
    expect(offerAll(subscription, client, [2, 4])).toEqual([0, 1]);
    expect(client.received).toEqual(['r:1', 'r:2', 'r:3', 'r:4']);
  });
});

describe('Subscription live delivery', () => {
  it('sends each live event at once after goLive', () => {
    const { subscription, client } = setUp();
    subscription.goLive(client, 0);
    expect(offer(subscription, client, 1)).toBe(1);
    expect(client.received).toEqual(['r:1']);
    expect(offer(subscription, client, 2)).toBe(1);
    expect(client.received).toEqual(['r:1', 'r:2']);
  });

  it('never sends a repeated or older seq, held or live', () => {
    const { subscription, client } = setUp();
    offerAll(subscription, client, [1, 2, 2, 1]);
    expect(subscription.goLive(client, 0)).toBe(2);
    expect(offerAll(subscription, client, [2, 3, 3, 1, 5, 4, 6])).toEqual([0, 1, 0, 0, 1, 0, 1]);
    expect(client.received).toEqual(['r:1', 'r:2', 'r:3', 'r:5', 'r:6']);
  });
});

describe('Subscription type filter', () => {
  it('applies to held and live events', () => {
    const { subscription, client } = setUp(new Set(['chat']));
    offer(subscription, client, 1, 'chat');
    offer(subscription, client, 2, 'typing');
    expect(subscription.goLive(client, 0)).toBe(1);
    expect(offer(subscription, client, 3, 'typing')).toBe(0);
    expect(offer(subscription, client, 4, 'chat')).toBe(1);
    expect(client.received).toEqual(['r:1', 'r:4']);
  });

  it('takes a new filter mid-stream, null admitting every type', () => {
    const { subscription, client } = setUp(new Set(['chat']));
    subscription.goLive(client, 0);
    offer(subscription, client, 1, 'chat');
    subscription.setTypes(new Set(['typing']));
    offer(subscription, client, 2, 'chat');
    offer(subscription, client, 3, 'typing');
    subscription.setTypes(null);
    offer(subscription, client, 4, 'chat');
    offer(subscription, client, 5, 'other');
    expect(client.received).toEqual(['r:1', 'r:3', 'r:4', 'r:5']);
  });

  it('judges held events by the filter in force at goLive', () => {
    const { subscription, client } = setUp(null);
    offer(subscription, client, 1, 'chat');
    offer(subscription, client, 2, 'typing');
    subscription.setTypes(new Set(['typing']));
    expect(subscription.goLive(client, 0)).toBe(1);
    expect(client.received).toEqual(['r:2']);
  });
});

describe('Subscription held bound', () => {
  const eventBytes = eventMessage(roomEvent('r', 1)).byteLength;

  it('holds events up to exactly maxHeldBytes', () => {
    const { subscription, client } = setUp(null, 3 * eventBytes);
    offerAll(subscription, client, [1, 2, 3]);
    expect(client.slowConsumerCloses).toEqual([]);
    expect(subscription.goLive(client, 0)).toBe(3);
    expect(client.received).toEqual(['r:1', 'r:2', 'r:3']);
  });

  it('closes the client as a slow consumer once when held bytes pass the bound, and holds or sends nothing more', () => {
    const { subscription, client } = setUp(null, 3 * eventBytes);
    expect(offerAll(subscription, client, [1, 2, 3, 4, 5, 6])).toEqual([0, 0, 0, 0, 0, 0]);
    expect(client.slowConsumerCloses).toEqual(['too many events while joining']);
    expect(subscription.goLive(client, 0)).toBe(0);
    expect(client.frames).toEqual([]);
    expect(client.slowConsumerCloses).toHaveLength(1);
  });
});
