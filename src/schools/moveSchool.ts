import type { Catalog } from '../catalog/catalog';
import type { TenantMove } from '../catalog/movesRepository';
import { NotFoundError } from '../errors';
import type { Logger } from '../logger';
import { isBehind } from '../tenants/migration/tenantSchema';
import { copyTenantData, type CopyReport } from '../tenants/moving/copyTenantData';
import type { TenantServer } from '../tenants/servers/tenantServer';
import type { TenantServers } from '../tenants/servers/tenantServers';

/**
 * Moving a school's database to another server, with its data; its name, its catalog row's
 * id and its Auth0 user stay as they are. The catalog journals the move
 * (catalog.tenant_moves), so a crash at any point leaves the tenant on exactly one server:
 *
 * 1. journal `copying`; the target gets a fresh database at the tenant's schema under the
 *    school's staging name (a clone of the target's template);
 * 2. the source turns read-only (its sessions are ended; new ones can only read);
 * 3. every row is copied (copyTenantData.ts);
 * 4. the copy takes the school's name and marker on the target;
 * 5. in one catalog statement the school points at the target and the journal says
 *    `switched`;
 * 6. the source is dropped, and the journal entry with it.
 *
 * Undone (a failure, or the reconciler after a crash) before 5: the target's copy is dropped
 * and the source writable again. After 5: the source is dropped. The tenant is read-only from
 * 2 to 5, and on neither server only within 5 (one catalog statement).
 */

export interface MoveDeps {
  catalog: Catalog;
  servers: TenantServers;
  logger: Logger;
  /** This process's owner-lock key: the journal's proof that the move is alive. */
  ownerKey: number;
  /** Schools this process is moving now (the reconciler leaves those alone). */
  running: Set<string>;
}

export interface MoveReport extends CopyReport {
  from: string;
  to: string;
  /** How long the tenant could not be written: from read-only to the switch. */
  readOnlyMs: number;
  elapsedMs: number;
}

/** A move that cannot start: said in one line, nothing changed. */
export class MoveRefusedError extends Error {
  override name = 'MoveRefusedError';
}

export async function moveSchool(
  dbName: string,
  toServer: string,
  deps: MoveDeps,
): Promise<MoveReport> {
  const started = Date.now();
  const { catalog, servers, ownerKey } = deps;
  const school = await catalog.schools.findByDbName(dbName);
  if (!school) throw new NotFoundError(`No catalogued school has the database ${dbName}.`);
  if (!servers.has(toServer))
    throw new MoveRefusedError(`no database server named ${toServer} is configured`);
  if (school.status !== 'ready')
    throw new MoveRefusedError(`${dbName} is not ready (${school.status})`);
  if (school.server === toServer) throw new MoveRefusedError(`${dbName} is already on ${toServer}`);
  const from = servers.get(school.server);
  const to = servers.get(toServer);
  if (isBehind(school, from.migrator.schema)) {
    throw new MoveRefusedError(`${dbName} is behind this release's schema: migrate it first`);
  }
  for (const server of [from, to]) {
    if (!(await server.reachable()))
      throw new MoveRefusedError(`server ${server.name} is unreachable`);
  }
  if (await to.databases.exists(dbName)) {
    throw new MoveRefusedError(
      `${toServer} already has a database named ${dbName}; not touching it`,
    );
  }
  if (
    !(await catalog.moves.begin({ schoolId: school.id, fromServer: from.name, toServer, ownerKey }))
  ) {
    throw new MoveRefusedError(
      `${dbName} is being moved already, or is no longer ready on ${from.name}`,
    );
  }

  deps.running.add(school.id);
  const move: TenantMove = {
    schoolId: school.id,
    dbName,
    fromServer: from.name,
    toServer,
    state: 'copying',
    ownerKey,
  };
  try {
    const staging = to.databases.ownership.stagingName(school.id);
    await to.databases.dropStaging(school.id); // what an earlier attempt may have left
    await to.provisioner.prepare(school.id);
    const readOnlyFrom = Date.now();
    await from.databases.setReadOnly(dbName, true);
    const copied = await copyTenantData(from.urlOf(dbName), to.urlOf(staging));
    await to.databases.promote(to.provisioner.finalRename(school.id, dbName));
    if (!(await catalog.moves.switchOver(school.id))) {
      throw new Error(`the catalog no longer has ${dbName} ready on ${from.name}`);
    }
    const readOnlyMs = Date.now() - readOnlyFrom;
    await finishMove({ ...move, state: 'switched' }, servers, catalog);
    deps.logger.info(
      { dbName, from: from.name, to: toServer, ...copied, readOnlyMs },
      'tenant moved',
    );
    return {
      ...copied,
      from: from.name,
      to: toServer,
      readOnlyMs,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    // Where it stands is the journal's to say, not ours: a switch whose answer was lost
    // has happened, and undoing it would drop the tenant's only copy.
    const journal = await catalog.moves.find(school.id).catch(() => undefined);
    if (journal) {
      await settleMove(journal, servers, catalog).catch((undoError: unknown) =>
        deps.logger.error({ dbName, err: undoError }, 'ending a move failed; left for reconcile'),
      );
    }
    throw error;
  } finally {
    deps.running.delete(school.id);
  }
}

/**
 * Brings a move to an end from wherever it stopped: undone while `copying`, finished once
 * `switched` (the reconciler, for a move whose process died). Safe to repeat.
 */
export async function settleMove(
  move: TenantMove,
  servers: TenantServers,
  catalog: Catalog,
): Promise<void> {
  if (move.state === 'switched') return finishMove(move, servers, catalog);
  const from = servers.get(move.fromServer);
  const to = servers.get(move.toServer);
  await to.databases.dropStaging(move.schoolId);
  await to.databases.dropIfOwned(move.dbName, move.schoolId);
  await from.databases.setReadOnly(move.dbName, false);
  await catalog.moves.end(move.schoolId);
}

async function finishMove(
  move: TenantMove,
  servers: TenantServers,
  catalog: Catalog,
): Promise<void> {
  const from: TenantServer = servers.get(move.fromServer);
  await from.databases.dropIfOwned(move.dbName, move.schoolId);
  await catalog.moves.end(move.schoolId);
}
