import { Router } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { requireJson } from '../http/requireJson';
import { isoDate, pageOf, pageQuery, parseBody, parseQuery, publicId, weekday } from './requests';
import type { RunOnTenant } from './tenantDatabase';

/**
 * /api/orders: a student's lunch for one weekday of a lunch week (the week named by the day
 * it starts), one order per student and day, of a dish the week offers that day.
 */

export const NewOrder = z.strictObject({
  studentId: publicId,
  week: isoDate,
  weekday,
  menuItemId: publicId,
  quantity: z.number().int().min(1).max(10).optional(),
});
const OrdersQuery = pageQuery.extend({ week: isoDate });

const ORDER_COLUMNS = `o.public_id AS id, s.public_id AS "studentId", w.starts_on::text AS week,
                       o.weekday, m.public_id AS "menuItemId", o.quantity,
                       o.created_at AS "createdAt", o.id::text AS cursor`;
const ORDER_JOINS = `JOIN students s ON s.id = o.student_id
                     JOIN lunch_weeks w ON w.id = o.lunch_week_id
                     JOIN menu_items m ON m.id = o.menu_item_id`;

interface OrderRow {
  id: string;
  cursor: string;
  [field: string]: unknown;
}
const shape = ({ cursor: _cursor, ...order }: OrderRow) => order;

interface Refs {
  student: string | null;
  week: string | null;
  item: string | null;
  offered: boolean;
}

export function ordersRouter(run: RunOnTenant): Router {
  const router = Router();
  router.get('/orders', async (req, res) => {
    const { week, limit, after } = parseQuery(OrdersQuery, req);
    const rows = await run(res, async (sql) => {
      const [found] = await sql.rows('SELECT 1 FROM lunch_weeks WHERE starts_on = $1', [week]);
      if (!found) throw new NotFoundError('No lunch week starts on this day.');
      return sql.rows<OrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM orders o ${ORDER_JOINS}
         WHERE w.starts_on = $1 AND ($2::bigint IS NULL OR o.id > $2)
         ORDER BY o.id LIMIT $3`,
        [week, after ?? null, limit + 1],
      );
    });
    res.json(pageOf(rows, limit, shape));
  });

  router.post('/orders', requireJson, async (req, res) => {
    const o = parseBody(NewOrder, req);
    const created = await run(res, (sql) =>
      sql.transaction(async (trx) => {
        const [refs] = await trx.rows<Refs>(
          `SELECT (SELECT id::text FROM students WHERE public_id = $1) AS student,
                  (SELECT id::text FROM lunch_weeks WHERE starts_on = $2) AS week,
                  (SELECT id::text FROM menu_items WHERE public_id = $3) AS item,
                  EXISTS (SELECT 1 FROM lunch_week_items i
                          JOIN lunch_weeks w ON w.id = i.lunch_week_id
                          JOIN menu_items m ON m.id = i.menu_item_id
                          WHERE w.starts_on = $2 AND m.public_id = $3 AND i.weekday = $4
                         ) AS offered`,
          [o.studentId, o.week, o.menuItemId, o.weekday],
        );
        const missing = {
          ...(refs?.student ? {} : { studentId: ['No student with this id.'] }),
          ...(refs?.week ? {} : { week: ['No lunch week starts on this day.'] }),
          ...(refs?.item ? {} : { menuItemId: ['No menu item with this id.'] }),
        };
        if (Object.keys(missing).length > 0) {
          throw new NotFoundError('The order names something this school does not have.', missing);
        }
        if (!refs!.offered) {
          throw new ValidationError({ menuItemId: ['This dish is not offered on that day.'] });
        }
        const [order] = await trx.rows<{ id: string }>(
          `INSERT INTO orders (student_id, lunch_week_id, menu_item_id, weekday, quantity)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (student_id, lunch_week_id, weekday) DO NOTHING RETURNING id`,
          [refs!.student, refs!.week, refs!.item, o.weekday, o.quantity ?? 1],
        );
        if (!order) {
          throw new ConflictError('This student has ordered for that day already.', {
            weekday: ['This student has ordered for that day already.'],
          });
        }
        const [row] = await trx.rows<OrderRow>(
          `SELECT ${ORDER_COLUMNS} FROM orders o ${ORDER_JOINS} WHERE o.id = $1`,
          [order.id],
        );
        return shape(row!);
      }),
    );
    res.status(201).json(created);
  });
  return router;
}
