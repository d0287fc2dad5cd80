import { STATUS_CODES } from 'node:http';
import type { Response } from 'express';

// Auth0 speaks two error dialects. The Management API (a hapi service) answers
// { statusCode, error, message, errorCode? }; the Authentication API answers OAuth-style
// { error, error_description }. Clients (the official SDK included) parse these exact shapes.

export interface ManagementErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errorCode?: string;
  attributes?: { error: string };
}

export function managementErrorBody(
  status: number,
  message: string,
  errorCode?: string,
): ManagementErrorBody {
  const body: ManagementErrorBody = {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    message,
  };
  if (errorCode !== undefined) body.errorCode = errorCode;
  return body;
}

export function sendManagementError(
  res: Response,
  status: number,
  message: string,
  errorCode?: string,
): void {
  res.status(status).json(managementErrorBody(status, message, errorCode));
}

/** Token problems carry hapi's `attributes` and a WWW-Authenticate challenge. */
export function sendTokenRejected(res: Response, message: string): void {
  res
    .status(401)
    .set('WWW-Authenticate', `Bearer error="${message}"`)
    .json({ ...managementErrorBody(401, message), attributes: { error: message } });
}

export function sendOAuthError(
  res: Response,
  status: number,
  error: string,
  description: string,
): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .json({ error, error_description: description });
}

/** Message for a body that failed Auth0's JSON-schema check, as the Management API words it. */
export function payloadValidationMessage(problem: string, property?: string): string {
  return property === undefined
    ? `Payload validation error: '${problem}'.`
    : `Payload validation error: '${problem}' on property ${property}.`;
}
