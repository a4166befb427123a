import { describe, expect, it } from 'vitest';
import { LocalPresence } from '../../src/local/local-presence.js';
import { person, service } from '../support/fakes/fixtures.js';

describe('LocalPresence', () => {
  it("tells its listeners of a user's first connection and last one, after the call that noticed it", async () => {
    const presence = new LocalPresence((error) => {
      throw error;
    });
    const heard: string[] = [];
    presence.onChange((room, user, change) => heard.push(`${room}:${user.id}:${change}`));
    presence.connected('r', person('ann'));
    presence.connected('r', person('ann'));
    presence.connected('r', service());
    expect(heard).toEqual([]);
    await Promise.resolve();
    expect(heard).toEqual(['r:ann:joined']);
    presence.disconnected('r', person('ann'));
    presence.disconnected('r', person('ann'));
    await Promise.resolve();
    expect(heard).toEqual(['r:ann:joined', 'r:ann:left']);
    expect(await presence.inRoom('r')).toEqual([]);
  });

  it('reports a listener that throws, and the other listeners still hear', async () => {
    const reported: unknown[] = [];
    const presence = new LocalPresence((error) => reported.push(error));
    const heard: string[] = [];
    presence.onChange(() => {
      throw new Error('listener failed');
    });
    presence.onChange((room, user, change) => heard.push(`${room}:${user.id}:${change}`));
    presence.connected('r', person('ann'));
    await Promise.resolve();
    expect(heard).toEqual(['r:ann:joined']);
    expect(reported).toEqual([new Error('listener failed')]);
  });
});
