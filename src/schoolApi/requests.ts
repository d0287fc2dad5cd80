import type { Request } from 'express';
import { z } from 'zod';
import { ValidationError } from '../errors';
import { fieldErrorsFrom } from '../http/fieldErrors';

/** Parsing and the shapes the school's API shares: ids, dates, pages. */

/** Rows are named by their random public_id (tenant migration public_ids). */
export const publicId = z.uuid('Must be an id this API returned.');

/** A calendar date, YYYY-MM-DD. */
export const isoDate = z.iso.date('Must be a date as YYYY-MM-DD.');

/** 1 = Monday … 5 = Friday. */
export const weekday = z.number().int().min(1).max(5);

/** ?limit=&after=: `after` is the previous page's `next`, an opaque cursor. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  after: z
    .string()
    .regex(/^\d{1,18}$/, 'Must be the `next` of the previous page.')
    .optional(),
});

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last one. */
  next: string | null;
}

/** Rows fetched with LIMIT limit + 1, each with its `cursor`: the page, and whether more follow. */
export function pageOf<T extends { cursor: string }>(
  rows: T[],
  limit: number,
  shape: (row: T) => unknown,
): Page<unknown> {
  const items = rows.slice(0, limit);
  const next = rows.length > limit ? (items[items.length - 1]?.cursor ?? null) : null;
  return { items: items.map(shape), next };
}

export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parsed(schema, req.body);
}

export function parseQuery<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  return parsed(schema, req.query);
}

/** A path parameter naming a row: a malformed one names nothing here (404, not 400). */
export function idParam(req: Request): string | undefined {
  const result = publicId.safeParse(req.params.id);
  return result.success ? result.data : undefined;
}

function parsed<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationError(fieldErrorsFrom(result.error));
  return result.data;
}
