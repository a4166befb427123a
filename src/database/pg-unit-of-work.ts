import type { Repositories, UnitOfWork } from '../domain/ports/repositories.js';
import { PgEventRepository } from './pg-event-repository.js';
import { PgMemberRepository } from './pg-member-repository.js';
import { PgRoomRepository } from './pg-room-repository.js';
import type { SqlDatabase, SqlExecutor } from './sql.js';

/** Repositories over one database, and transactions that bind them to one connection. */
export class PgUnitOfWork implements UnitOfWork {
  readonly repos: Repositories;

  constructor(private readonly db: SqlDatabase) {
    this.repos = repositoriesOn(db);
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(repositoriesOn(tx)));
  }
}

function repositoriesOn(sql: SqlExecutor): Repositories {
  return {
    rooms: new PgRoomRepository(sql),
    members: new PgMemberRepository(sql),
    events: new PgEventRepository(sql),
  };
}
