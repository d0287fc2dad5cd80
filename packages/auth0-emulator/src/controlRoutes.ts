import express, { Router } from 'express';
import type { Faults } from './faults';
import { faultRuleSchema } from './faults';
import { settingsPatchSchema, type SettingsHandle } from './settings';
import type { EmulatorUser, RecordedRequest } from './types';

// Test-only HTTP control surface, for suites that run the emulator in another process.
// Unauthenticated by design, so it is only mounted when enableControlApi is true.

export interface ControlHooks {
  faults: Faults;
  users: () => EmulatorUser[];
  requests: () => RecordedRequest[];
  tokenRequestCount: () => number;
  resetRecords: () => void;
  settings: SettingsHandle;
}

export function controlRoutes(hooks: ControlHooks): Router {
  const router = Router();
  router.use(express.json());

  router.post('/faults', (req, res) => {
    const parsed = faultRuleSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_fault_rule', message: parsed.error.message });
      return;
    }
    hooks.faults.add(parsed.data);
    res.status(201).json({ pending: hooks.faults.pending() });
  });

  router.delete('/faults', (_req, res) => {
    hooks.faults.clear();
    res.status(204).end();
  });

  router.get('/settings', (_req, res) => {
    res.json(hooks.settings.get());
  });

  // PATCH: only the settings named in the body change.
  router.patch('/settings', (req, res) => {
    const parsed = settingsPatchSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: 'invalid_settings', message: parsed.error.message });
      return;
    }
    res.json(hooks.settings.update(parsed.data));
  });

  router.get('/users', (_req, res) => {
    res.json(hooks.users());
  });

  router.get('/stats', (_req, res) => {
    res.json({ tokenRequests: hooks.tokenRequestCount(), requests: hooks.requests() });
  });

  router.delete('/stats', (_req, res) => {
    hooks.resetRecords();
    res.status(204).end();
  });

  return router;
}
