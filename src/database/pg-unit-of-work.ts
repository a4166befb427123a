import type { EventRepository, Repositories, RoomRepository, UnitOfWork } from '../domain/ports/repositories.js';
import { BatchedEventAppender } from './batched-event-appender.js';
import { GroupCommitEventRepository } from './group-commit-event-repository.js';
import { BatchedMembershipReader } from './membership-reads.js';
import { PgEventRepository } from './pg-event-repository.js';
import { PgMemberRepository } from './pg-member-repository.js';
import { PgRoomRepository } from './pg-room-repository.js';
import type { SqlDatabase, SqlExecutor } from './sql.js';

/**
 * Repositories over one database, and transactions that bind them to one connection. Appends
 * outside a transaction are group-committed; those inside one keep to its connection.
 */
export class PgUnitOfWork implements UnitOfWork {
  readonly repos: Repositories;

  constructor(private readonly db: SqlDatabase) {
    const appender = new BatchedEventAppender(db, { waitsForIoFirst: db.isInProcess });
    const memberships = new BatchedMembershipReader(db);
    this.repos = repositoriesOn(
      db,
      new PgRoomRepository(db, (roomId, userId) => memberships.find(roomId, userId)),
      new GroupCommitEventRepository(db, appender),
    );
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(repositoriesOn(tx, new PgRoomRepository(tx), new PgEventRepository(tx))));
  }
}

function repositoriesOn(sql: SqlExecutor, rooms: RoomRepository, events: EventRepository): Repositories {
  return { rooms, members: new PgMemberRepository(sql), events };
}
