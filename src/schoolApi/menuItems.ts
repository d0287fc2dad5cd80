import { Router } from 'express';
import { z } from 'zod';
import { requireJson } from '../http/requireJson';
import { pageOf, pageQuery, parseBody, parseQuery } from './requests';
import type { RunOnTenant } from './tenantDatabase';

/** /api/menu-items: the dishes a school can put on its lunch weeks. */

export const NewMenuItem = z.strictObject({
  name: z.string().trim().min(1).max(100),
  description: z.string().trim().max(500).nullable().optional(),
  priceCents: z.number().int().min(1).max(100_000),
  vegetarian: z.boolean().optional(),
  allergens: z.array(z.string().trim().min(1).max(40)).max(20).optional(),
  active: z.boolean().optional(),
});

const COLUMNS = `public_id AS id, name, description, price_cents AS "priceCents", vegetarian,
                 allergens, active, created_at AS "createdAt", id::text AS cursor`;

interface MenuItemRow {
  id: string;
  cursor: string;
  [field: string]: unknown;
}
const shape = ({ cursor: _cursor, ...item }: MenuItemRow) => item;

export function menuItemsRouter(run: RunOnTenant): Router {
  const router = Router();
  router.get('/menu-items', async (req, res) => {
    const { limit, after } = parseQuery(pageQuery, req);
    const rows = await run(res, (sql) =>
      sql.rows<MenuItemRow>(
        `SELECT ${COLUMNS} FROM menu_items WHERE ($1::bigint IS NULL OR id > $1)
         ORDER BY menu_items.id LIMIT $2`,
        [after ?? null, limit + 1],
      ),
    );
    res.json(pageOf(rows, limit, shape));
  });

  router.post('/menu-items', requireJson, async (req, res) => {
    const m = parseBody(NewMenuItem, req);
    const [row] = await run(res, (sql) =>
      sql.rows<MenuItemRow>(
        `INSERT INTO menu_items (name, description, price_cents, vegetarian, allergens, active)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [
          m.name,
          m.description ?? null,
          m.priceCents,
          m.vegetarian ?? false,
          [...new Set(m.allergens ?? [])],
          m.active ?? true,
        ],
      ),
    );
    res.status(201).json(shape(row!));
  });
  return router;
}
