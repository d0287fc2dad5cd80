import axios from 'axios';
import type { UserNewEvent } from './userNew';

/** A Slack incoming-webhook compatible notification: POST `{ "text": "New school: …" }`. */

export function notificationText(event: UserNewEvent): string {
  const { schoolName, dbName, email } = event.data;
  return `New school: ${schoolName} (database ${dbName}, signed up by ${email})`;
}

export function createWebhookNotifier(url: string, timeoutMs = 5000) {
  return async (event: UserNewEvent): Promise<void> => {
    // Any non-2xx, timeout or network error rejects, and the outbox retries.
    await axios.post(
      url,
      { text: notificationText(event) },
      { timeout: timeoutMs, headers: { 'content-type': 'application/json' }, maxRedirects: 0 },
    );
  };
}
