import { dateSpan } from './isoDateSpan';

// The slice of Auth0's user search syntax (search engine v3, Lucene query strings) that the
// emulator models. Sources: https://auth0.com/docs/manage-users/user-search/user-search-query-syntax
// and .../user-search (v3 example queries): fields match whole values (no tokenising); email,
// name, given_name, family_name and nickname compare case-insensitively, everything else
// (metadata included) case-sensitively; operators must be capitalised; `[a TO b]` is inclusive,
// `{a TO b}` exclusive, `*` an open end; ranges and wildcards do not work on metadata fields.
// What falls outside the subset (OR, NOT, groups, wildcards, bare words, date math) is refused
// with a 400 rather than guessed at, so a query the emulator accepts is one Auth0 accepts too.

export type Clause =
  | { op: 'exists'; field: string }
  | { op: 'equals'; field: string; value: string; caseInsensitive: boolean }
  /** Dates are compared as epoch milliseconds. */
  | {
      op: 'between';
      field: string;
      min?: number;
      max?: number;
      minOpen: boolean;
      maxOpen: boolean;
    };

export type ParsedQuery = { ok: true; clauses: Clause[] } | { ok: false; message: string };

type FieldKind = 'text' | 'caseless' | 'date' | 'number' | 'metadata';

const CASELESS = ['email', 'name', 'given_name', 'family_name', 'nickname', 'email.domain'];
const TEXT = ['user_id', 'username', 'phone_number', 'picture', 'last_ip']
  .concat(['email_verified', 'phone_verified', 'blocked'])
  .concat(['identities.connection', 'identities.provider', 'identities.user_id']);
const DATES = ['created_at', 'updated_at', 'last_login'];

export function fieldKind(field: string): FieldKind | undefined {
  if (CASELESS.includes(field)) return 'caseless';
  if (TEXT.includes(field)) return 'text';
  if (DATES.includes(field)) return 'date';
  if (field === 'logins_count') return 'number';
  const [root, ...path] = field.split('.');
  const isMetadata = root === 'app_metadata' || root === 'user_metadata';
  return isMetadata && path.length > 0 && !path.includes('') ? 'metadata' : undefined;
}

// Sticky patterns, applied at the scanner's position.
const FIELD = /[A-Za-z_][\w.-]*/y;
const COLON = /:\s*/y;
const QUOTED = /"((?:[^"\\]|\\.)*)"/y;
// Lucene/Elasticsearch reserved characters end a bare value; `-` and `+` only lead operators.
const BARE = /(?:[^\s\\"()[\]{}^~*?:/!<>=&|+-]|\\.)(?:[^\s\\"()[\]{}^~*?:/!<>=&|]|\\.)*/y;
const OPEN = /[[{]\s*/y;
const RANGE_GOOP = /[^\s\]}"]+/y;
const TO = /\s+TO\s+/y;
const CLOSE = /\s*([\]}])/y;
const AND = /\s+AND\s+/y;

class Scanner {
  at = 0;
  constructor(readonly text: string) {}
  take(pattern: RegExp): RegExpExecArray | undefined {
    pattern.lastIndex = this.at;
    const match = pattern.exec(this.text);
    if (match) this.at = pattern.lastIndex;
    return match ?? undefined;
  }
  get rest(): string {
    return this.text.slice(this.at);
  }
}

const unescape = (text: string): string => text.replace(/\\(.)/gs, '$1');

/** Why the text at the scanner cannot continue a query, in terms a test author can act on. */
function refusal(scanner: Scanner, afterTerm = false): string {
  const rest = scanner.rest.trimStart();
  const word = /^\S*/.exec(rest)?.[0] ?? '';
  const operator = /^(OR|NOT|and|or|not|&&|\|\|)$/.test(word) || /^[()!+-]/.test(rest);
  // After a whole term and a space, anything but AND is an operator the emulator lacks.
  if (operator || (afterTerm && /^\s/.test(scanner.rest))) {
    return 'the emulator supports only terms joined by AND (OR, NOT, grouping and prefix operators are not modelled)';
  }
  if (/^[*?]/.test(rest)) return 'the emulator does not model wildcard searches';
  if (/^[~^]/.test(rest)) return 'the emulator does not model fuzzy or boosted terms';
  return `cannot parse the query at position ${scanner.at}: "${rest.slice(0, 20)}"`;
}

/** One end of a range; no value: open (`*`). */
interface Bound {
  value?: string;
}

function bound(scanner: Scanner): Bound | string {
  const quoted = scanner.take(QUOTED);
  if (quoted) return { value: unescape(quoted[1] ?? '') };
  const goop = scanner.take(RANGE_GOOP)?.[0];
  if (goop === undefined) return refusal(scanner);
  return goop === '*' ? {} : { value: unescape(goop) };
}

/** A range (or, with from === to, a single value) of a date or number field as numbers. */
function between(
  field: string,
  kind: 'date' | 'number',
  from: Bound,
  to: Bound,
  open: [boolean, boolean],
): Clause | string {
  const clause: Extract<Clause, { op: 'between' }> = {
    op: 'between',
    field,
    minOpen: open[0],
    maxOpen: open[1],
  };
  for (const [side, text] of [
    ['min', from.value],
    ['max', to.value],
  ] as const) {
    if (text === undefined) continue;
    if (kind === 'number') {
      if (!/^-?\d+(\.\d+)?$/.test(text)) return `${field} takes numbers, got "${text}"`;
      clause[side] = Number(text);
      continue;
    }
    const span = dateSpan(text);
    if (!span)
      return `${field} takes ISO-8601 dates (the emulator does not model date math), got "${text}"`;
    // An inclusive upper or an exclusive lower end takes the span's end, its other ends the start.
    const useLast = (side === 'max') !== clause[side === 'min' ? 'minOpen' : 'maxOpen'];
    clause[side] = useLast ? span.last : span.first;
  }
  return clause;
}

function clause(scanner: Scanner): Clause | string {
  const field = scanner.take(FIELD)?.[0];
  if (field === undefined || !scanner.take(COLON)) {
    if (field !== undefined && !/^(OR|NOT|AND)$/.test(field)) {
      return `the emulator supports only field:value terms, got "${field}"`;
    }
    scanner.at -= field?.length ?? 0;
    return refusal(scanner);
  }
  if (field === '_exists_') {
    const target = scanner.take(FIELD)?.[0];
    if (target === undefined) return refusal(scanner);
    const known = fieldKind(target) ?? /^(app|user)_metadata$/.test(target);
    return known ? { op: 'exists', field: target } : `unknown field "${target}"`;
  }
  const kind = fieldKind(field);
  if (kind === undefined) return `unknown field "${field}"`;
  const open = scanner.take(OPEN)?.[0]?.[0];
  if (open !== undefined) {
    if (kind !== 'date' && kind !== 'number') {
      return kind === 'metadata'
        ? 'range searches are not available on metadata fields'
        : `the emulator models ranges on ${DATES.join(', ')} and logins_count only`;
    }
    const from = bound(scanner);
    if (typeof from === 'string') return from;
    if (!scanner.take(TO)) return refusal(scanner);
    const to = bound(scanner);
    if (typeof to === 'string') return to;
    const close = scanner.take(CLOSE)?.[1];
    if (close === undefined) return refusal(scanner);
    return between(field, kind, from, to, [open === '{', close === '}']);
  }
  const quoted = scanner.take(QUOTED);
  const bare = quoted ? undefined : scanner.take(BARE);
  const value = quoted?.[1] ?? bare?.[0];
  if (value === undefined) return refusal(scanner);
  const text = unescape(value);
  if (kind === 'date' || kind === 'number') {
    // A term on a date field is the span it names, a whole day say (Elasticsearch's term query).
    return between(field, kind, { value: text }, { value: text }, [false, false]);
  }
  return { op: 'equals', field, value: text, caseInsensitive: kind === 'caseless' };
}

/** Parses `q`; an empty query matches every user, as Auth0's list does. */
export function parseUserQuery(q: string): ParsedQuery {
  const scanner = new Scanner(q.trim());
  const clauses: Clause[] = [];
  if (scanner.text === '') return { ok: true, clauses };
  for (;;) {
    const next = clause(scanner);
    if (typeof next === 'string') return { ok: false, message: next };
    clauses.push(next);
    if (scanner.rest === '') return { ok: true, clauses };
    if (!scanner.take(AND)) return { ok: false, message: refusal(scanner, true) };
  }
}
