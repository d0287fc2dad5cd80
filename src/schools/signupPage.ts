import express, { type Router } from 'express';
import { PUBLIC_DIR } from '../http/publicDir';

/**
 * GET / is the signup page: static files from public/ (index.html, signup.css, signup.js).
 * No build step and no inline script, so helmet's default CSP (script-src 'self') holds.
 */
export function signupPageRouter(): Router {
  const router = express.Router();
  router.use(express.static(PUBLIC_DIR, { index: 'index.html', redirect: false }));
  return router;
}
