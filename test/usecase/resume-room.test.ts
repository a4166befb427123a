import { describe, expect, it, vi } from 'vitest';
import { HistoryTrimmed, InvalidRequest } from '../../src/domain/errors.js';
import type { RoomEvent } from '../../src/domain/room-event.js';
import { ResumeRoom, type Resumption } from '../../src/usecase/resume-room.js';
import { TrimHistory } from '../../src/usecase/trim-history.js';
import { person } from '../support/fakes/fixtures.js';
import { InMemoryUnitOfWork } from '../support/fakes/in-memory-unit-of-work.js';
import { RecordingPusher } from '../support/fakes/recording-pusher.js';
import { useCases } from '../support/fakes/use-cases.js';

const ann = person('ann');

async function setUp(events: number) {
  const uow = new InMemoryUnitOfWork();
  const cases = useCases(uow, new RecordingPusher());
  const room = await cases.createRoom.execute(ann, { id: 'lobby', name: 'Lobby' });
  for (let i = 0; i < events; i += 1) await cases.publishEvent.execute(ann, 'lobby', 'chat', i);
  return { uow, epoch: room.epoch, resume: new ResumeRoom(cases.subscribeToRoom, uow, 4) };
}

async function missedSeqs(resumption: Resumption): Promise<number[]> {
  const pages: RoomEvent[][] = [];
  for await (const page of resumption.missed) pages.push(page);
  return pages.flat().map((event) => event.seq);
}

describe('ResumeRoom', () => {
  it('without since: the room, no recovery flag, nothing missed', async () => {
    const { resume } = await setUp(3);
    const resumption = await resume.execute(ann, 'lobby', {});
    expect(resumption.room.lastSeq).toBe(3);
    expect(resumption.recovered).toBeUndefined();
    expect(await missedSeqs(resumption)).toEqual([]);
  });

  it('hands over every missed event in order, page by page', async () => {
    const { resume, epoch } = await setUp(10);
    const resumption = await resume.execute(ann, 'lobby', { since: 1, epoch });
    expect(resumption.recovered).toBe(true);
    expect(await missedSeqs(resumption)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('has nothing to replay when since is the last seq, and reads no history for it', async () => {
    const { resume, uow } = await setUp(5);
    const historyReads = vi.spyOn(uow.repos.events, 'listAfter');
    const resumption = await resume.execute(ann, 'lobby', { since: 5 });
    expect(resumption.recovered).toBe(true);
    expect(await missedSeqs(resumption)).toEqual([]);
    expect(historyReads).not.toHaveBeenCalled();
  });

  it('refuses a since beyond the last seq', async () => {
    const { resume } = await setUp(5);
    await expect(resume.execute(ann, 'lobby', { since: 6 })).rejects.toBeInstanceOf(InvalidRequest);
  });

  it('does not recover another epoch', async () => {
    const { resume } = await setUp(5);
    const resumption = await resume.execute(ann, 'lobby', { since: 2, epoch: 'some-other-stream' });
    expect(resumption.recovered).toBe(false);
    expect(await missedSeqs(resumption)).toEqual([]);
  });

  it('does not recover a since older than the kept history, and hands over none of it', async () => {
    const { resume, uow } = await setUp(10);
    await new TrimHistory(uow, { maxEventsPerRoom: 5, maxAgeSeconds: undefined }).execute();
    const tooOld = await resume.execute(ann, 'lobby', { since: 4 });
    expect(tooOld.recovered).toBe(false);
    expect(await missedSeqs(tooOld)).toEqual([]);
    const justKept = await resume.execute(ann, 'lobby', { since: 5 });
    expect(justKept.recovered).toBe(true);
    expect(await missedSeqs(justKept)).toEqual([6, 7, 8, 9, 10]);
  });

  it('stops with HistoryTrimmed when trimming overtakes the replay, never skipping a hole', async () => {
    const { resume, uow } = await setUp(12);
    const resumption = await resume.execute(ann, 'lobby', { since: 0 });
    const received: number[] = [];
    const replay = (async () => {
      for await (const page of resumption.missed) {
        received.push(...page.map((event) => event.seq));
        await new TrimHistory(uow, { maxEventsPerRoom: 2, maxAgeSeconds: undefined }).execute();
      }
    })();
    await expect(replay).rejects.toBeInstanceOf(HistoryTrimmed);
    expect(received).toEqual([1, 2, 3, 4]);
  });
});

describe('ResumeRoom across epochs', () => {
  it('does not recover another epoch even when since is beyond this stream', async () => {
    const { resume } = await setUp(2);
    const resumption = await resume.execute(ann, 'lobby', { since: 50, epoch: 'an-older-stream' });
    expect(resumption.recovered).toBe(false);
    expect(await missedSeqs(resumption)).toEqual([]);
  });
});
