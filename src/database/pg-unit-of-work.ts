import type { Repositories, UnitOfWork } from '../domain/ports/repositories.js';
import { BatchedEventAppender } from './batched-event-appender.js';
import { PgEventRepository } from './pg-event-repository.js';
import { PgMemberRepository } from './pg-member-repository.js';
import { PgRoomRepository } from './pg-room-repository.js';
import type { SqlDatabase, SqlExecutor } from './sql.js';

/**
 * Repositories over one database, and transactions that bind them to one connection. Appends
 * outside a transaction are group-committed by one batcher; those inside one keep to its connection.
 */
export class PgUnitOfWork implements UnitOfWork {
  readonly repos: Repositories;

  constructor(private readonly db: SqlDatabase) {
    this.repos = repositoriesOn(db, new BatchedEventAppender(db, { waitsForIoFirst: db.isInProcess }));
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(repositoriesOn(tx)));
  }
}

function repositoriesOn(sql: SqlExecutor, batcher?: BatchedEventAppender): Repositories {
  return {
    rooms: new PgRoomRepository(sql),
    members: new PgMemberRepository(sql),
    events: new PgEventRepository(sql, batcher),
  };
}
