import type { Knex } from '../db/knexFactory';
import { ownerIsGone } from './ownerLock';

/**
 * catalog.tenant_moves: the journal of tenants being moved to another server (see its
 * migration, 20261203010000). The switch of `schools.server` and of the journal's state
 * happen in one statement, so a crash leaves the move either before it (undo) or after it
 * (finish), never in between.
 */

export interface TenantMove {
  schoolId: string;
  dbName: string;
  fromServer: string;
  toServer: string;
  state: 'copying' | 'switched';
  ownerKey: number;
}

export interface MovesRepository {
  /**
   * Records that `ownerKey` starts moving the school to `toServer`. False when the school is
   * not `ready` on `fromServer`, or a move of it is already recorded.
   */
  begin(move: {
    schoolId: string;
    fromServer: string;
    toServer: string;
    ownerKey: number;
  }): Promise<boolean>;
  /** Points the school at its new server and marks the move switched, in one statement. */
  switchOver(schoolId: string): Promise<boolean>;
  /** The move is over (finished or undone). */
  end(schoolId: string): Promise<void>;
  /** Moves whose process is gone (or, for `self`, that it no longer runs). */
  abandoned(
    self: { ownerKey: number; running: readonly string[] } | undefined,
  ): Promise<TenantMove[]>;
  find(schoolId: string): Promise<TenantMove | undefined>;
}

const SELECT = `SELECT m.school_id AS "schoolId", s.db_name AS "dbName", m.from_server AS "fromServer",
                       m.to_server AS "toServer", m.state, m.owner_key AS "ownerKey"
                  FROM catalog.tenant_moves m JOIN catalog.schools s ON s.id = m.school_id`;

export function createMovesRepository(db: Knex): MovesRepository {
  return {
    async begin({ schoolId, fromServer, toServer, ownerKey }) {
      const { rows } = await db.raw<{ rows: unknown[] }>(
        `INSERT INTO catalog.tenant_moves (school_id, from_server, to_server, owner_key)
         SELECT id, server, ?, ? FROM catalog.schools
          WHERE id = ? AND server = ? AND status = 'ready'
         ON CONFLICT (school_id) DO NOTHING
         RETURNING school_id`,
        [toServer, ownerKey, schoolId, fromServer],
      );
      return rows.length === 1;
    },
    async switchOver(schoolId) {
      const { rows } = await db.raw<{ rows: unknown[] }>(
        `WITH moved AS (
           UPDATE catalog.tenant_moves SET state = 'switched'
            WHERE school_id = ? AND state = 'copying'
           RETURNING school_id, from_server, to_server)
         UPDATE catalog.schools s SET server = moved.to_server, updated_at = now()
           FROM moved WHERE s.id = moved.school_id AND s.server = moved.from_server
         RETURNING s.id`,
        [schoolId],
      );
      return rows.length === 1;
    },
    async end(schoolId) {
      await db('catalog.tenant_moves').where({ school_id: schoolId }).delete();
    },
    async abandoned(self) {
      const mine = self
        ? db.raw('(m.owner_key = ? AND NOT m.school_id = ANY(?::uuid[]))', [
            self.ownerKey,
            [...self.running],
          ])
        : db.raw('false');
      const { rows } = await db.raw<{ rows: TenantMove[] }>(
        `${SELECT} WHERE ? OR (${ownerIsGone('m.owner_key')}
                            AND m.owner_key IS DISTINCT FROM ?)
         ORDER BY m.started_at`,
        [mine, self?.ownerKey ?? null],
      );
      return rows;
    },
    async find(schoolId) {
      const { rows } = await db.raw<{ rows: TenantMove[] }>(`${SELECT} WHERE m.school_id = ?`, [
        schoolId,
      ]);
      return rows[0];
    },
  };
}
