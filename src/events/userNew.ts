import { randomUUID } from 'node:crypto';

/** The `user.new` event: published to RabbitMQ (routing key `user.new`) and the webhook. */

export const USER_NEW = 'user.new';

export interface UserNewEvent {
  /** Unique per event; consumers deduplicate on it (delivery is at least once). */
  id: string;
  type: typeof USER_NEW;
  /** ISO-8601 time the school became ready. */
  occurredAt: string;
  data: {
    userId: string;
    email: string;
    schoolName: string;
    dbName: string;
  };
}

export function userNewEvent(data: UserNewEvent['data'], now = new Date()): UserNewEvent {
  return { id: randomUUID(), type: USER_NEW, occurredAt: now.toISOString(), data };
}

/** The channel the outbox's writers NOTIFY on, so relays wake without waiting to poll. */
export const OUTBOX_CHANNEL = 'catalog_outbox';
