import type { RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../errors';

/** The API speaks JSON only; anything else is a 415 rather than an empty-body 400. */
export const requireJson: RequestHandler = (req, _res, next) => {
  next(req.is('application/json') ? undefined : new UnsupportedMediaTypeError());
};
