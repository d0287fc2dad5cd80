// Partial ISO-8601 dates as user search reads them in created_at / updated_at / last_login.

type DateParts = [number, number, number, number, number, number, number];

const DATE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?)?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * The instants a possibly partial ISO date covers: "2017-12" is all of December, as Auth0's
 * example queries read it (`last_login:{2017-11 TO 2017-12]` is "December 2017",
 * `[* TO 2017-12-31]` "before 2018"). Elasticsearch, behind Auth0's search, fills in missing
 * month and day components differently, so clients are safer sending full timestamps. Without
 * a zone the date is UTC.
 */
export function dateSpan(text: string): { first: number; last: number } | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const given = match.slice(1, 8).filter((part) => part !== undefined);
  const at = (i: number, fallback: number): number => Number(given[i] ?? fallback);
  const millis = given[6] === undefined ? 0 : Number(given[6].padEnd(3, '0'));
  // Date.UTC months are 0-based.
  const parts: DateParts = [at(0, 0), at(1, 1) - 1, at(2, 1), at(3, 0), at(4, 0), at(5, 0), millis];
  const check = new Date(Date.UTC(...parts));
  const roundTrip = [check.getUTCFullYear(), check.getUTCMonth(), check.getUTCDate()]
    .concat([check.getUTCHours(), check.getUTCMinutes(), check.getUTCSeconds()])
    .concat(check.getUTCMilliseconds());
  if (roundTrip.some((value, i) => value !== parts[i])) return undefined; // e.g. 2017-02-30
  const zone = match[8];
  const offset =
    zone === undefined || zone === 'Z'
      ? 0
      : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
  const next: DateParts = [...parts];
  next[given.length - 1] = (next[given.length - 1] ?? 0) + 1;
  const first = Date.UTC(...parts) - offset * 60_000;
  return { first, last: Date.UTC(...next) - offset * 60_000 - 1 };
}
