import type { Auth0ClientSettings } from './auth0Settings';
import type { AxiosResponse } from 'axios';
import { Auth0RequestError, EmailTakenError, ValidationError } from '../errors';
import type { Logger } from '../logger';
import { auth0Message, createAuth0Http, isRetryableStatus, retryFor, send } from './auth0Http';
import { ManagementBudget, type Lane, type Place } from './managementBudget';
import { withRetries, type Attempt } from './retryPolicy';
import { createTokenCache } from './tokenCache';

/**
 * Our only door to Auth0's Management API. Owns the token cache, the retry policy and the
 * process's one rate-limit budget (managementBudget.ts), and turns Auth0's answers into the
 * service's typed errors.
 */

export interface Auth0User {
  user_id: string;
  email: string;
  app_metadata?: Record<string, unknown>;
}

export interface CreateUserInput {
  email: string;
  password: string;
  dbName: string;
  /** Our reservation id, stored in app_metadata so a retried create can recognise its own user. */
  signupId: string;
  /**
   * This deployment's tag (app_metadata.deployment): the Auth0 sweep only ever touches users
   * carrying it, never another deployment's sharing the Auth0 tenant.
   */
  deployment: string;
  /** Added by pre-signup rules (already checked against Auth0's metadata rules). */
  userMetadata?: Record<string, unknown>;
  /** Added by pre-signup rules; never overrides db_name or signup_id. */
  appMetadata?: Record<string, unknown>;
  /**
   * Called when an attempt's outcome is unknown (timed out, connection cut, a 5xx): Auth0
   * may have stored, or may still store, that user even if the call ends in an error.
   */
  onOutcomeUnknown?: () => void;
  /** The signup's place in line (admitSignup): its budget runs from when it was admitted. */
  place?: Place;
}

export interface UserSearch {
  /** Lucene-style query, search engine v3 (e.g. `app_metadata.deployment:"ab12cd34"`). */
  q: string;
  /** 0-based; Auth0 serves only the first 1000 results of a search. */
  page: number;
  perPage: number;
  /** e.g. `created_at:1`. */
  sort?: string;
}

export interface Auth0Client {
  createUser(input: CreateUserInput): Promise<Auth0User>;
  findUsersByEmail(email: string): Promise<Auth0User[]>;
  /**
   * One page of a user search. Auth0's search index is eventually consistent (a user created
   * or deleted a moment ago may be missing or still there); users-by-email is not.
   */
  searchUsers(search: UserSearch): Promise<(Auth0User & { created_at?: string })[]>;
  /** Deletes always go first: each one undoes or cleans up (compensations, the reconciler). */
  deleteUser(userId: string): Promise<void>;
  /**
   * A place in line for a new signup's create, taken before the signup reserves anything:
   * 503 auth0_unavailable at once when its turn would come after AUTH0_RETRY_BUDGET_MS.
   */
  admitSignup(): Promise<Place>;
  /** The same client (same budget), its calls going before new signups': for the reconciler. */
  firstInLine(): Auth0Client;
}

const PASSWORD_ERRORS = /^Password(Strength|Dictionary|History|NoUserInfo)Error/;

/**
 * Whether Auth0 may have acted on a request whose answer we did not get: anything but a
 * refused connection (nothing was sent) or a 429 (refused before any work) on the way.
 */
function outcomeUnknown(res: AxiosResponse | { networkError: string }): boolean {
  if ('networkError' in res) return res.networkError !== 'ECONNREFUSED';
  return res.status >= 500;
}

export function createAuth0Client(config: Auth0ClientSettings, logger: Logger): Auth0Client {
  const http = createAuth0Http(config);
  const retry = { budgetMs: config.retryBudgetMs };
  // One per process and tenant: every call below, whoever makes it, waits its turn here.
  const budget = new ManagementBudget();

  const tokens = createTokenCache({
    fetchToken: () =>
      withRetries(async () => {
        const res = await send(() =>
          http.post('/oauth/token', {
            grant_type: 'client_credentials',
            client_id: config.clientId,
            client_secret: config.clientSecret,
            audience: config.audience,
          }),
        );
        if (!('networkError' in res) && res.status === 200) {
          const body = res.data as { access_token: string; expires_in: number };
          return {
            kind: 'done',
            value: { accessToken: body.access_token, expiresInSeconds: body.expires_in },
          };
        }
        if ('networkError' in res || isRetryableStatus(res.status)) return retryFor(res, 'token');
        logger.error(
          { status: res.status, auth0: auth0Message(res.data) },
          'Auth0 refused a token',
        );
        throw new Auth0RequestError(res.status, auth0Message(res.data));
      }, retry),
  });

  /**
   * One Management API call with retries, each attempt sent when the budget gives it a turn.
   * `handle` maps a non-retryable response to a result; a 401 refreshes the token once (it
   * may have been revoked or rotated). A 429 goes back in line at once: the budget holds
   * every call until Auth0's Retry-After, so no backoff of its own is added.
   */
  async function call<T>(
    what: string,
    request: (token: string) => Promise<AxiosResponse>,
    handle: (res: AxiosResponse, attempt: number) => Promise<Attempt<T>> | Attempt<T>,
    options: { lane: Lane; place?: Place; onOutcomeUnknown?: () => void },
  ): Promise<T> {
    const { lane, place, onOutcomeUnknown } = options;
    const startedAt = place?.startedAt ?? Date.now();
    const deadline = startedAt + config.retryBudgetMs;
    let refreshedAfter401 = false;
    return withRetries(
      async (attempt) => {
        const token = await tokens.get();
        place?.release(); // its own call now takes the place in line
        const res = await budget.send(lane, deadline, () => send(() => request(token)));
        if (onOutcomeUnknown && outcomeUnknown(res)) onOutcomeUnknown();
        if ('networkError' in res || isRetryableStatus(res.status)) {
          logger.warn(
            { what, attempt, status: 'status' in res ? res.status : undefined },
            'Auth0 call will be retried',
          );
          if (!('networkError' in res) && res.status === 429) {
            return { kind: 'retry', reason: `${what}: HTTP 429`, retryAfterMs: 0, paced: true };
          }
          return retryFor(res, what);
        }
        if (res.status === 401 && !refreshedAfter401) {
          refreshedAfter401 = true;
          tokens.invalidate(token);
          return { kind: 'retry', reason: `${what}: token rejected`, retryAfterMs: 0 };
        }
        return handle(res, attempt);
      },
      { ...retry, startedAt },
    );
  }

  const unexpected = (what: string, res: AxiosResponse): never => {
    logger.error(
      { what, status: res.status, auth0: auth0Message(res.data) },
      'unexpected Auth0 answer',
    );
    throw new Auth0RequestError(res.status, auth0Message(res.data));
  };

  /** The client whose calls (other than deletes) wait in `lane`. */
  const clientIn = (lane: Lane): Auth0Client => {
    const client: Auth0Client = {
      createUser(input) {
        return call(
          'create user',
          (token) =>
            http.post(
              '/api/v2/users',
              {
                email: input.email,
                password: input.password,
                connection: config.connection,
                // Ours last: a rule's key can never replace db_name or signup_id.
                app_metadata: {
                  ...input.appMetadata,
                  db_name: input.dbName,
                  signup_id: input.signupId,
                  deployment: input.deployment,
                },
                ...(input.userMetadata && Object.keys(input.userMetadata).length > 0
                  ? { user_metadata: input.userMetadata }
                  : {}),
              },
              { headers: { authorization: `Bearer ${token}` } },
            ),
          async (res, attempt) => {
            if (res.status === 201) return { kind: 'done', value: res.data as Auth0User };
            const message = auth0Message(res.data);
            if (res.status === 409) {
              // After a lost answer our own earlier attempt may have created the user.
              if (attempt > 1) {
                const mine = (await client.findUsersByEmail(input.email)).find(
                  (u) => u.app_metadata?.signup_id === input.signupId,
                );
                if (mine) return { kind: 'done', value: mine };
              }
              throw new EmailTakenError();
            }
            if (res.status === 400 && PASSWORD_ERRORS.test(message)) {
              throw new ValidationError({ password: [message] }, message);
            }
            if (res.status === 400 && /email/i.test(message)) {
              throw new ValidationError({ email: ['Enter a valid email address.'] });
            }
            return unexpected('create user', res);
          },
          { lane, place: input.place, onOutcomeUnknown: input.onOutcomeUnknown },
        );
      },

      findUsersByEmail(email) {
        return call(
          'find users by email',
          (token) =>
            http.get('/api/v2/users-by-email', {
              params: { email },
              headers: { authorization: `Bearer ${token}` },
            }),
          (res) =>
            res.status === 200
              ? { kind: 'done', value: res.data as Auth0User[] }
              : unexpected('find users by email', res),
          { lane },
        );
      },

      searchUsers({ q, page, perPage, sort }) {
        return call(
          'search users',
          (token) =>
            http.get('/api/v2/users', {
              params: {
                q,
                search_engine: 'v3',
                page,
                per_page: perPage,
                ...(sort ? { sort } : {}),
                fields: 'user_id,email,app_metadata,created_at',
              },
              headers: { authorization: `Bearer ${token}` },
            }),
          (res) =>
            res.status === 200
              ? { kind: 'done', value: res.data as (Auth0User & { created_at?: string })[] }
              : unexpected('search users', res),
          { lane },
        );
      },

      deleteUser(userId) {
        return call(
          'delete user',
          (token) =>
            http.delete(`/api/v2/users/${encodeURIComponent(userId)}`, {
              headers: { authorization: `Bearer ${token}` },
            }),
          (res) =>
            res.status === 204 || res.status === 200 || res.status === 404
              ? { kind: 'done', value: undefined }
              : unexpected('delete user', res),
          { lane: 'first' },
        );
      },

      admitSignup: () => budget.admit(config.retryBudgetMs),
      firstInLine: () => (lane === 'first' ? client : clientIn('first')),
    };
    return client;
  };
  return clientIn('normal');
}
