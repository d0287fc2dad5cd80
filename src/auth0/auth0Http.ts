import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { Auth0ClientSettings } from './auth0Settings';
import { retryAfterMs, type Attempt } from './retryPolicy';

/**
 * The raw HTTP side of talking to Auth0: one keep-alive axios instance that never throws on
 * a status (we decide per status) and a classifier for what is worth retrying.
 */

export interface Auth0ErrorBody {
  statusCode?: number;
  error?: string;
  message?: string;
  errorCode?: string;
  error_description?: string;
}

export function createAuth0Http(
  config: Pick<Auth0ClientSettings, 'baseUrl' | 'timeoutMs'>,
): AxiosInstance {
  return axios.create({
    baseURL: config.baseUrl,
    timeout: config.timeoutMs,
    validateStatus: () => true,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    headers: { 'content-type': 'application/json' },
    // Auth0 never redirects the Management API; following one could leak the bearer token.
    maxRedirects: 0,
  });
}

/** Sends a request; network failures become a value, not an exception. */
export async function send<T>(
  request: () => Promise<AxiosResponse<T>>,
): Promise<AxiosResponse<T> | { networkError: string }> {
  try {
    return await request();
  } catch (error) {
    // Only the code travels on: axios errors carry the request config (headers, body).
    const code = (error as { code?: string }).code ?? 'network error';
    return { networkError: code };
  }
}

export function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** A retry decision for a response Auth0 gave (or failed to give). */
export function retryFor(
  response: AxiosResponse | { networkError: string },
  what: string,
): Attempt<never> {
  if ('networkError' in response) {
    return { kind: 'retry', reason: `${what}: ${response.networkError}` };
  }
  const headers = response.headers as Record<string, unknown>;
  // x-ratelimit-reset comes with every answer; it only means "wait" on a 429.
  const wait =
    response.status === 429
      ? retryAfterMs(headers)
      : retryAfterMs({ 'retry-after': headers['retry-after'] });
  return { kind: 'retry', reason: `${what}: HTTP ${response.status}`, retryAfterMs: wait };
}

export function auth0Message(body: unknown): string {
  const b = (body ?? {}) as Auth0ErrorBody;
  return b.message ?? b.error_description ?? b.error ?? 'unknown error';
}
