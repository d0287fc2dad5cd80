import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isDatabaseUnavailable } from '../db/unavailable';
import {
  AppError,
  DatabaseUnavailableError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors';
import { INTERNAL_ERROR_BODY, type ErrorBody } from './errorBody';

/**
 * The one place errors become HTTP. Every answer has the shape
 * `{ error: { code, message, details? } }`; anything unexpected is a 500 whose details stay
 * in the log (never a stack trace in the response).
 */

interface BodyParserError {
  type?: string;
  limit?: number;
}

function fromBodyParser(error: unknown, bodyLimit: string): AppError | undefined {
  switch ((error as BodyParserError | null)?.type) {
    case 'entity.parse.failed':
      return new ValidationError({ body: ['The request body is not valid JSON.'] });
    case 'entity.too.large':
      return new PayloadTooLargeError(bodyLimit);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError();
    default:
      return undefined;
  }
}

export function errorHandler(bodyLimit: string): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const known =
      error instanceof AppError
        ? error
        : (fromBodyParser(error, bodyLimit) ??
          (isDatabaseUnavailable(error)
            ? new DatabaseUnavailableError({ cause: error })
            : undefined));
    if (!known) {
      req.log.error({ err: error }, 'unhandled error');
      res.status(500).json(INTERNAL_ERROR_BODY);
      return;
    }
    const level = known.status >= 500 ? 'error' : 'info';
    req.log[level](
      { code: known.code, status: known.status, err: known.status >= 500 ? error : undefined },
      known.message,
    );
    res.status(known.status).set(known.headers());
    res.json({
      error: {
        code: known.code,
        message: known.message,
        ...(known.details ? { details: known.details } : {}),
      },
    } satisfies ErrorBody);
  };
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new NotFoundError(`No route for ${req.method} ${req.path}.`));
};
