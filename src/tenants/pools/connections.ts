import { Client } from 'pg';
import { isDatabaseUnavailable } from '../../db/unavailable';
import { DatabaseUnavailableError } from '../../errors';
import type { TenantAddress } from './tenantPools';

export interface ClientSettings {
  applicationName: string;
  statementTimeoutMs: number;
  connectTimeoutMs: number;
}

/**
 * A client for one tenant database. The 'error' listener is attached before anything else: a
 * pg.Client without one crashes the process when its idle connection is cut (server restart,
 * pg_terminate_backend).
 */
export function newClient(
  tenant: TenantAddress,
  settings: ClientSettings,
  onError: (error: Error) => void,
): Client {
  const client = new Client({
    connectionString: tenant.url,
    application_name: settings.applicationName,
    statement_timeout: settings.statementTimeoutMs,
    connectionTimeoutMillis: settings.connectTimeoutMs,
  });
  client.on('error', onError);
  return client;
}

/**
 * Resolves once the socket is closed (never rejects). PostgreSQL takes a backend out of
 * pg_stat_activity before its process exits and closes the socket, so after this the
 * connection no longer counts on the server and its slot may be reused.
 */
export async function endClient(client: Client): Promise<void> {
  await client.end().catch(() => undefined);
}

/**
 * What a caller sees when a connection could not be opened: an unreachable or stopping server
 * is a 503 (the cause kept for the log; pg's errors name host and port, never the URL or its
 * password). Anything else, such as 3D000 (the database was deleted meanwhile), as it is.
 */
export function connectFailure(error: unknown): unknown {
  return isDatabaseUnavailable(error) ? new DatabaseUnavailableError({ cause: error }) : error;
}

/** The error's code or a short reason, for a log line (never the error object's URL fields). */
export function reasonOf(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message.slice(0, 200) : 'unknown';
}
