import { Router } from 'express';
import { requireJson } from '../http/requireJson';
import { pickLocale } from '../i18n/locale';
import { signUp, type SignupDeps } from './signUp';
import { parseSignupRequest } from './signupRequest';
import type { SignupResponse } from './signupResponse';

/** POST /users: validate, run the signup saga, answer 201. Errors go to the error handler. */
export function signupRouter(deps: SignupDeps): Router {
  const router = Router();
  router.post('/users', requireJson, async (req, res) => {
    const request = parseSignupRequest(req.body);
    const result = await signUp(request, deps, { locale: pickLocale(req.get('accept-language')) });
    res
      .status(201)
      .location(`/users/${encodeURIComponent(result.userId)}`)
      .json(result satisfies SignupResponse);
  });
  return router;
}
