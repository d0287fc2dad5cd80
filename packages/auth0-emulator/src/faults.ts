import { STATUS_CODES } from 'node:http';
import express, {
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import { z } from 'zod';
import { managementErrorBody } from './errors';
import type { EmulatorLogger, FaultInjector, FaultRule } from './types';

// Fault injection lets resilience tests reproduce what a real network and a real Auth0 do to
// clients: slow answers, error statuses, connections that hang, and the nastiest ones, a
// request that took effect but whose response never arrived (dropAfterHandling), and one that
// takes effect only after its caller has given up on it (landAfterMs).

const ANSWERS = ['status', 'body', 'headers', 'delayMs', 'hang', 'dropAfterHandling'] as const;

export const faultRuleSchema = z
  .strictObject({
    method: z.string().min(1).optional(),
    path: z.string().startsWith('/').optional(),
    times: z.number().int().positive().optional(),
    status: z.number().int().min(100).max(599).optional(),
    body: z.unknown().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    delayMs: z.number().int().nonnegative().optional(),
    hang: z.boolean().optional(),
    dropAfterHandling: z.boolean().optional(),
    landAfterMs: z.number().int().nonnegative().optional(),
  })
  .refine((rule) => rule.landAfterMs === undefined || ANSWERS.every((k) => rule[k] === undefined), {
    message: `landAfterMs cannot be combined with ${ANSWERS.join(', ')}`,
  });

// The routes' own parsers (same defaults), run at arrival so the body is in hand when the
// request lands; by then the socket may be closed. Once a parser has read the stream, the
// route's parser sees it finished and keeps req.body as it is.
const bodyParsers = [express.json(), express.urlencoded({ extended: false })];

function readBodyNow(req: Request, res: Response): Promise<unknown> {
  return bodyParsers.reduce<Promise<unknown>>(
    (previous, parse) =>
      previous.then((err) =>
        err === undefined ? new Promise((resolve) => parse(req, res, resolve)) : err,
      ),
    Promise.resolve(undefined),
  );
}

interface ActiveRule {
  rule: FaultRule;
  remaining: number;
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  return rule.path.endsWith('*') ? path.startsWith(rule.path.slice(0, -1)) : path === rule.path;
}

function respond(res: Response, rule: FaultRule & { status: number }): void {
  res.status(rule.status).set(rule.headers ?? {});
  if (rule.body === undefined) {
    res.json(managementErrorBody(rule.status, STATUS_CODES[rule.status] ?? 'Error'));
  } else if (typeof rule.body === 'string') {
    res.send(rule.body);
  } else {
    res.json(rule.body);
  }
}

/** Lets the real handler run, but turns its response into a reset connection. */
function dropInsteadOfResponding(res: Response, onDrop?: (status: number) => void): void {
  let dropped = false;
  const drop = (): Response => {
    if (!dropped) onDrop?.(res.statusCode);
    dropped = true;
    res.socket?.destroy();
    return res;
  };
  Object.assign(res, { writeHead: drop, end: drop, write: () => (drop(), false) });
}

export class Faults implements FaultInjector {
  private rules: ActiveRule[] = [];
  private readonly hung = new Set<Response>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly logger?: EmulatorLogger) {}

  add(rule: FaultRule): void {
    const parsed: FaultRule = faultRuleSchema.parse(rule);
    this.rules.push({ rule: parsed, remaining: parsed.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
    this.releaseHung();
  }

  pending(): number {
    return this.rules.length;
  }

  /**
   * Called by stop(): nothing may keep the process (or jest) alive afterwards. Requests still
   * waiting to land are dropped, never run: like an Auth0 that died before committing them, and
   * nothing may write the state file after stop().
   */
  shutdown(): void {
    this.stopped = true;
    this.clear();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private releaseHung(): void {
    for (const res of this.hung) res.socket?.destroy();
    this.hung.clear();
  }

  private take(method: string, path: string): FaultRule | undefined {
    const active = this.rules.find((r) => matches(r.rule, method, path));
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.rules = this.rules.filter((r) => r !== active);
    return active.rule;
  }

  middleware(): RequestHandler {
    return (req, res, next) => {
      const rule = this.take(req.method, req.path);
      if (!rule) return next();
      this.logger?.warn({ method: req.method, path: req.path, rule }, 'auth0 emulator fault');
      if (rule.hang) {
        this.hung.add(res);
        res.on('close', () => this.hung.delete(res));
        return;
      }
      if (rule.landAfterMs !== undefined) return this.landLater(req, res, next, rule.landAfterMs);
      const proceed = (): void => {
        const { status } = rule;
        if (status !== undefined) return respond(res, { ...rule, status });
        if (rule.dropAfterHandling) dropInsteadOfResponding(res);
        next();
      };
      if (!rule.delayMs) return proceed();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!res.socket?.destroyed) proceed();
      }, rule.delayMs);
      this.timers.add(timer);
    };
  }

  /**
   * Runs the rest of the chain `afterMs` after arrival whether or not the caller is still there.
   * A body that never fully arrived fails to parse, and the request then lands as that 400:
   * no effect. Auth and rate limiting are checked at landing, not arrival.
   */
  private landLater(req: Request, res: Response, next: NextFunction, afterMs: number): void {
    const body = readBodyNow(req, res);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void body.then((err) => {
        if (this.stopped) return;
        // The status the caller never saw, so a test (or a developer) can tell what landed.
        dropInsteadOfResponding(res, (status) =>
          this.logger?.warn(
            { method: req.method, path: req.path, status },
            'auth0 emulator: late request landed, response discarded',
          ),
        );
        next(err);
      });
    }, afterMs);
    this.timers.add(timer);
  }
}
