import type { Request } from 'express';
import type { EmulatorUser } from './types';

// Query-string helpers shared by the Management API user routes.

/** A single-valued query parameter; repeated or nested ones read as absent. */
export const queryString = (req: Request, name: string): string | undefined => {
  const value: unknown = req.query[name];
  return typeof value === 'string' ? value : undefined;
};

/** Auth0's `fields` / `include_fields` query parameters, which the SDK exposes. */
export function project(user: EmulatorUser, req: Request): Partial<EmulatorUser> {
  const fields = queryString(req, 'fields')?.split(',').filter(Boolean);
  if (!fields?.length) return user;
  const include = queryString(req, 'include_fields') !== 'false';
  return Object.fromEntries(
    Object.entries(user).filter(([key]) => fields.includes(key) === include),
  );
}
