import type { RequestHandler, Response } from 'express';
import type { EmulatorContext } from './context';
import { sendManagementError } from './errors';
import { project, queryString } from './queryParams';
import { compareUsers, matchesAll, parseSort } from './userMatch';
import { parseUserQuery } from './userQuery';

// GET /api/v2/users, "List or search users" with search engine v3. Paging as documented in
// https://auth0.com/docs/manage-users/user-search/view-search-results-by-page: `page` is 0-based,
// `per_page` defaults to 50 (at most 100), and only the first 1000 results can be reached
// ("100 users per page for 10 pages"). Past that Auth0 answers 400 invalid_paging, message as
// reported in auth0/auth0.net#979. Exactly where a page straddling 1000 falls is undocumented:
// the emulator refuses when from + size > 1000, Elasticsearch's max_result_window rule (Auth0's
// v2 search docs name Elasticsearch). `total` is the full match count, not capped.

const PARAMS = ['q', 'page', 'per_page', 'include_totals', 'sort', 'fields', 'include_fields']
  // `connection` only applies to the retired engine v1 and is ignored, as by Auth0; so is
  // primary_order, since the emulator's order is always deterministic.
  .concat(['search_engine', 'connection', 'primary_order']);
const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;
const MAX_RESULTS = 1000;

function sendQueryError(res: Response, problem: string, property?: string): void {
  const where = property === undefined ? '' : ` on property ${property}`;
  sendManagementError(
    res,
    400,
    `Query validation error: '${problem}'${where}.`,
    'invalid_query_string',
  );
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

function integer(
  raw: string | undefined,
  fallback: number,
  min: number,
  max: number,
): Parsed<number> {
  if (raw === undefined) return { ok: true, value: fallback };
  if (!/^-?\d+$/.test(raw))
    return { ok: false, problem: 'Expected type integer but found type string' };
  const value = Number(raw);
  if (value < min) return { ok: false, problem: `Value ${value} is less than minimum ${min}` };
  if (value > max) return { ok: false, problem: `Value ${value} is greater than maximum ${max}` };
  return { ok: true, value };
}

function boolean(raw: string | undefined): Parsed<boolean> {
  if (raw === undefined || raw === 'true' || raw === 'false') {
    return { ok: true, value: raw === 'true' };
  }
  return { ok: false, problem: 'Expected type boolean but found type string' };
}

export function searchUsers(ctx: EmulatorContext): RequestHandler {
  return (req, res) => {
    const names = Object.keys(req.query);
    const unknown = names.filter((name) => !PARAMS.includes(name));
    if (unknown.length > 0) {
      return sendQueryError(res, `Additional properties not allowed: ${unknown.join(',')}`);
    }
    const repeated = names.find((name) => typeof req.query[name] !== 'string');
    if (repeated !== undefined) {
      return sendQueryError(res, 'Expected type string but found type array', repeated);
    }
    const page = integer(queryString(req, 'page'), 0, 0, Number.MAX_SAFE_INTEGER);
    if (!page.ok) return sendQueryError(res, page.problem, 'page');
    const perPage = integer(queryString(req, 'per_page'), DEFAULT_PER_PAGE, 0, MAX_PER_PAGE);
    if (!perPage.ok) return sendQueryError(res, perPage.problem, 'per_page');
    for (const name of ['include_totals', 'include_fields', 'primary_order']) {
      const flag = boolean(queryString(req, name));
      if (!flag.ok) return sendQueryError(res, flag.problem, name);
    }
    const engine = queryString(req, 'search_engine');
    if (engine !== undefined && engine !== 'v3') {
      return sendQueryError(res, `the emulator models search_engine v3 only, got ${engine}`);
    }
    const rawSort = queryString(req, 'sort');
    const sort = rawSort === undefined ? undefined : parseSort(rawSort);
    if (rawSort !== undefined && !sort) {
      return sendQueryError(res, 'sort takes field:1 or field:-1 on a root profile field', 'sort');
    }
    const query = parseUserQuery(queryString(req, 'q') ?? '');
    if (!query.ok) return sendQueryError(res, query.message, 'q');
    if ((page.value + 1) * perPage.value > MAX_RESULTS) {
      return sendManagementError(
        res,
        400,
        'You can only page through the first 1000 records. See https://auth0.com/docs/users/search/v3/view-search-results-by-page#limitation',
        'invalid_paging',
      );
    }

    const matched = ctx.searchIndex
      .visible()
      .filter((user) => matchesAll(user, query.clauses))
      .sort(compareUsers(sort));
    const start = page.value * perPage.value;
    const users = matched.slice(start, start + perPage.value).map((user) => project(user, req));
    if (queryString(req, 'include_totals') !== 'true') return void res.json(users);
    res.json({ start, limit: perPage.value, length: users.length, total: matched.length, users });
  };
}
