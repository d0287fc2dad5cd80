import { createHash, randomBytes } from 'node:crypto';
import type { StoredUser } from './state';
import type { EmulatorUser } from './types';

// In-memory user directory shaped like an Auth0 database connection: e-mail is unique per
// connection (case-insensitively), user ids are "auth0|<24 hex>".

export type NewUser = Omit<StoredUser, 'user_id' | 'created_at' | 'updated_at'> & {
  /** Caller-chosen id without the "auth0|" prefix (Auth0's `user_id` create field). */
  idWithoutProvider?: string;
};

/** Told about every write, one user at a time (undefined: deleted); the search index listens. */
export type UserWriteListener = (userId: string, user: StoredUser | undefined) => void;

export class UserStore {
  private readonly byId = new Map<string, StoredUser>();

  constructor(
    initial: StoredUser[],
    private readonly onChange: (users: StoredUser[]) => void,
    private readonly onWrite: UserWriteListener = () => {},
  ) {
    for (const user of initial) this.byId.set(user.user_id, user);
  }

  all(): StoredUser[] {
    return [...this.byId.values()];
  }

  get(userId: string): StoredUser | undefined {
    return this.byId.get(userId);
  }

  findByEmail(email: string): StoredUser[] {
    const wanted = email.toLowerCase();
    return this.all().filter((u) => u.email === wanted);
  }

  /** Whom a login names in a connection: the e-mail, or the username (both case-insensitive). */
  findLogin(connection: string, username: string): StoredUser | undefined {
    const wanted = username.toLowerCase();
    return this.all().find(
      (u) =>
        u.connection === connection && (u.email === wanted || u.username?.toLowerCase() === wanted),
    );
  }

  exists(connection: string, email: string, idWithoutProvider?: string): boolean {
    const wanted = email.toLowerCase();
    return this.all().some(
      (u) =>
        (u.connection === connection && u.email === wanted) ||
        (idWithoutProvider !== undefined && u.user_id === `auth0|${idWithoutProvider}`),
    );
  }

  create(input: NewUser): StoredUser {
    const { idWithoutProvider, ...fields } = input;
    // Auth0 database user ids are 24 hex characters (a Mongo ObjectId).
    const id = idWithoutProvider ?? randomBytes(12).toString('hex');
    const now = new Date().toISOString();
    const user: StoredUser = {
      ...fields,
      user_id: `auth0|${id}`,
      created_at: now,
      updated_at: now,
    };
    this.byId.set(user.user_id, user);
    this.onChange(this.all());
    this.onWrite(user.user_id, user);
    return user;
  }

  /** Returns whether a user was removed; the route answers 204 either way, as Auth0 does. */
  delete(userId: string): boolean {
    const removed = this.byId.delete(userId);
    if (removed) {
      this.onChange(this.all());
      this.onWrite(userId, undefined);
    }
    return removed;
  }
}

/** Auth0 defaults: name is the e-mail, nickname its local part, picture a Gravatar URL. */
export function profileDefaults(email: string): {
  name: string;
  nickname: string;
  picture: string;
} {
  const nickname = email.split('@')[0] ?? email;
  const md5 = createHash('md5').update(email).digest('hex');
  const initials = encodeURIComponent(
    `https://cdn.auth0.com/avatars/${nickname.slice(0, 2).toLowerCase()}.png`,
  );
  return {
    name: email,
    nickname,
    picture: `https://s.gravatar.com/avatar/${md5}?s=480&r=pg&d=${initials}`,
  };
}

/**
 * The Management API view. An allowlist rather than "everything but the hash", so a field
 * added to storage later can never leak by accident.
 */
export function toPublicUser(user: StoredUser): EmulatorUser {
  const identity = {
    connection: user.connection,
    user_id: user.user_id.replace(/^auth0\|/, ''),
    provider: 'auth0' as const,
    isSocial: false as const,
  };
  const view: EmulatorUser = {
    user_id: user.user_id,
    email: user.email,
    email_verified: user.email_verified,
    name: user.name,
    nickname: user.nickname,
    picture: user.picture,
    identities: [identity],
    created_at: user.created_at,
    updated_at: user.updated_at,
    given_name: user.given_name,
    family_name: user.family_name,
    username: user.username,
    phone_number: user.phone_number,
    phone_verified: user.phone_verified,
    blocked: user.blocked,
    app_metadata: user.app_metadata,
    user_metadata: user.user_metadata,
  };
  return withoutUndefined(view);
}

/** Absent, not undefined: in-process callers see exactly what the JSON body carries. */
function withoutUndefined<T extends object>(value: T): T {
  // Only optional keys can hold undefined, so dropping them keeps the value a valid T.
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
