import { Router } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../errors';
import { requireJson } from '../http/requireJson';
import { idParam, pageOf, pageQuery, parseBody, parseQuery } from './requests';
import type { RunOnTenant } from './tenantDatabase';

/** /api/students: the school's students. Deleting one deletes their orders. */

const name = z.string().trim().min(1).max(100);
const fields = {
  firstName: name,
  lastName: name,
  grade: z.string().trim().min(1).max(20).nullable(),
  active: z.boolean(),
};
export const NewStudent = z.strictObject({
  ...fields,
  grade: fields.grade.optional(),
  active: fields.active.optional(),
});
export const StudentChanges = z
  .strictObject(fields)
  .partial()
  .refine((c) => Object.keys(c).length > 0, { message: 'Send at least one field to change.' });

/** Request field → column; the only names that reach SQL, and they are ours. */
const COLUMNS = {
  firstName: 'first_name',
  lastName: 'last_name',
  grade: 'grade',
  active: 'active',
} as const;

const SELECT = `SELECT public_id AS id, first_name AS "firstName", last_name AS "lastName",
                       grade, active, created_at AS "createdAt", updated_at AS "updatedAt",
                       id::text AS cursor
                FROM students`;

interface StudentRow {
  id: string;
  cursor: string;
  [field: string]: unknown;
}
const shape = ({ cursor: _cursor, ...student }: StudentRow) => student;

export function studentsRouter(run: RunOnTenant): Router {
  const router = Router();
  router.get('/students', async (req, res) => {
    const { limit, after } = parseQuery(pageQuery, req);
    const rows = await run(res, (sql) =>
      sql.rows<StudentRow>(
        `${SELECT} WHERE ($1::bigint IS NULL OR id > $1) ORDER BY students.id LIMIT $2`,
        [after ?? null, limit + 1],
      ),
    );
    res.json(pageOf(rows, limit, shape));
  });

  router.post('/students', requireJson, async (req, res) => {
    const s = parseBody(NewStudent, req);
    const [row] = await run(res, (sql) =>
      sql.rows<StudentRow>(
        `WITH created AS (
           INSERT INTO students (first_name, last_name, grade, active)
           VALUES ($1, $2, $3, $4) RETURNING *)
         ${SELECT.replace('FROM students', 'FROM created')}`,
        [s.firstName, s.lastName, s.grade ?? null, s.active ?? true],
      ),
    );
    res.status(201).location(`/api/students/${row!.id}`).json(shape(row!));
  });

  router.get('/students/:id', async (req, res) => {
    const id = idParam(req);
    const [row] = id
      ? await run(res, (sql) => sql.rows<StudentRow>(`${SELECT} WHERE public_id = $1`, [id]))
      : [];
    if (!row) throw new NotFoundError('No student with this id.');
    res.json(shape(row));
  });

  router.patch('/students/:id', requireJson, async (req, res) => {
    const id = idParam(req);
    const changes = parseBody(StudentChanges, req);
    const entries = Object.entries(changes) as [keyof typeof COLUMNS, unknown][];
    const assignments = entries.map(([field], i) => `${COLUMNS[field]} = $${i + 2}`);
    const [row] = id
      ? await run(res, (sql) =>
          sql.rows<StudentRow>(
            `WITH changed AS (
               UPDATE students SET ${assignments.join(', ')}, updated_at = now()
               WHERE public_id = $1 RETURNING *)
             ${SELECT.replace('FROM students', 'FROM changed')}`,
            [id, ...entries.map(([, value]) => value)],
          ),
        )
      : [];
    if (!row) throw new NotFoundError('No student with this id.');
    res.json(shape(row));
  });

  router.delete('/students/:id', async (req, res) => {
    const id = idParam(req);
    const deleted = id
      ? await run(res, (sql) =>
          sql.rows('DELETE FROM students WHERE public_id = $1 RETURNING id', [id]),
        )
      : [];
    if (deleted.length === 0) throw new NotFoundError('No student with this id.');
    res.status(204).end();
  });
  return router;
}
