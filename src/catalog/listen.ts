import { Client } from 'pg';

/**
 * LISTEN on one channel of the catalog, on a connection of its own (a pooled connection
 * would be handed to other queries and miss notifications). Resolves to a function that
 * stops listening; rejects when LISTEN is not possible. `onLost` runs when the connection
 * breaks: notifications sent meanwhile are lost, so the caller must catch up on its own.
 */
export async function listenOn(
  catalogUrl: string,
  channel: string,
  applicationName: string,
  onNotification: (payload: string | undefined) => void,
  onLost: (error: Error) => void,
): Promise<() => Promise<void>> {
  const client = new Client({ connectionString: catalogUrl, application_name: applicationName });
  client.on('error', onLost);
  client.on('notification', (message) => onNotification(message.payload));
  try {
    await client.connect();
    // Channel names are constants of this code base, never request text.
    await client.query(`LISTEN ${channel}`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return () => client.end().catch(() => undefined);
}
