import { Router } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors';
import { requireJson } from '../http/requireJson';
import { isoDate, pageQuery, parseBody, parseQuery, publicId, weekday } from './requests';
import type { RunOnTenant, TenantSql } from './tenantDatabase';

/** /api/lunch-weeks: a week's menu, which dish is offered on which weekday. */

const isMonday = (date: string) => new Date(`${date}T00:00:00Z`).getUTCDay() === 1;

export const NewLunchWeek = z.strictObject({
  startsOn: isoDate.refine(isMonday, 'A lunch week starts on a Monday.'),
  published: z.boolean().optional(),
  items: z.array(z.strictObject({ menuItemId: publicId, weekday })).max(100),
});

/** Weeks are listed by date; the cursor is the last week's date. */
const WeeksQuery = pageQuery.extend({ after: isoDate.optional() });

interface WeekRow {
  key: string;
  id: string;
  startsOn: string;
  published: boolean;
}
interface ItemRow {
  week: string;
  weekday: number;
  menuItemId: string;
  name: string;
  priceCents: number;
  vegetarian: boolean;
}

const WEEK_COLUMNS = `id::text AS key, public_id AS id, starts_on::text AS "startsOn", published`;

/** The weeks with their items, in two queries whatever the page size. */
async function withItems(sql: TenantSql, weeks: WeekRow[]) {
  const items = await sql.rows<ItemRow>(
    `SELECT i.lunch_week_id::text AS week, i.weekday, m.public_id AS "menuItemId", m.name,
            m.price_cents AS "priceCents", m.vegetarian
     FROM lunch_week_items i JOIN menu_items m ON m.id = i.menu_item_id
     WHERE i.lunch_week_id = ANY($1::bigint[])
     ORDER BY i.weekday, m.name`,
    [weeks.map((w) => w.key)],
  );
  return weeks.map(({ key, ...week }) => ({
    ...week,
    items: items.filter((i) => i.week === key).map(({ week: _week, ...item }) => item),
  }));
}

export function lunchWeeksRouter(run: RunOnTenant): Router {
  const router = Router();
  router.get('/lunch-weeks', async (req, res) => {
    const { limit, after } = parseQuery(WeeksQuery, req);
    const page = await run(res, async (sql) => {
      const weeks = await sql.rows<WeekRow>(
        `SELECT ${WEEK_COLUMNS} FROM lunch_weeks WHERE ($1::date IS NULL OR starts_on > $1)
         ORDER BY starts_on LIMIT $2`,
        [after ?? null, limit + 1],
      );
      return withItems(sql, weeks.slice(0, limit)).then((items) => ({
        items,
        next: weeks.length > limit ? (weeks[limit - 1]?.startsOn ?? null) : null,
      }));
    });
    res.json(page);
  });

  router.post('/lunch-weeks', requireJson, async (req, res) => {
    const week = parseBody(NewLunchWeek, req);
    const created = await run(res, (sql) =>
      sql.transaction(async (trx) => {
        const menuIds = [...new Set(week.items.map((i) => i.menuItemId))];
        const found = await trx.rows<{ id: string; publicId: string }>(
          'SELECT id::text, public_id AS "publicId" FROM menu_items WHERE public_id = ANY($1::uuid[])',
          [menuIds],
        );
        const idOf = new Map(found.map((m) => [m.publicId, m.id]));
        const unknown: [string, string[]][] = week.items.flatMap((item, i) =>
          idOf.has(item.menuItemId)
            ? []
            : [[`items.${i}.menuItemId`, ['No menu item with this id.']] as [string, string[]]],
        );
        if (unknown.length > 0) {
          throw new NotFoundError('No menu item with this id.', Object.fromEntries(unknown));
        }
        const [row] = await trx.rows<WeekRow>(
          `INSERT INTO lunch_weeks (starts_on, published) VALUES ($1, $2)
           ON CONFLICT (starts_on) DO NOTHING RETURNING ${WEEK_COLUMNS}`,
          [week.startsOn, week.published ?? false],
        );
        if (!row) {
          throw new ConflictError('A lunch week starting on this day exists already.', {
            startsOn: ['A lunch week starting on this day exists already.'],
          });
        }
        await trx.rows(
          `INSERT INTO lunch_week_items (lunch_week_id, menu_item_id, weekday)
           SELECT $1, unnest($2::bigint[]), unnest($3::smallint[]) ON CONFLICT DO NOTHING`,
          [
            row.key,
            week.items.map((i) => idOf.get(i.menuItemId)),
            week.items.map((i) => i.weekday),
          ],
        );
        const [withItemsRow] = await withItems(trx, [row]);
        return withItemsRow!;
      }),
    );
    res.status(201).json(created);
  });
  return router;
}
