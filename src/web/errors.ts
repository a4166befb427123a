import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DomainError } from '../domain/errors.js';
import { type ErrorCode, HTTP_STATUS } from './error-codes.js';
import { sendJson } from './http-step.js';
import { requestIdOf } from './request-log.js';

/** An error of the web edge itself (auth, validation, routing), with its protocol code. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The protocol's error body. */
export function errorBody(code: ErrorCode, message: string): { error: { code: ErrorCode; message: string } } {
  return { error: { code, message } };
}

/** Any unknown route is 404 `not_found`. */
export const notFound: RequestHandler = (req) => {
  throw new ApiError('not_found', `no route for ${req.method} ${req.path}`);
};

/** What answers an error, for express (as its error middleware) and the publish fast path alike. */
export type ErrorResponder = (error: unknown, req: IncomingMessage, res: ServerResponse, next: unknown) => void;

/** Maps every error to the JSON error body; only 500s are logged in full, and never sent. */
export function errorHandler(logger: Logger): ErrorResponder {
  // Four parameters: express tells an error middleware by its arity.
  return (error, _req, res, _next) => {
    // Too late for an error body: the answer has begun (a handler failed after it). Cut it off.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const { code, message } = describe(error);
    const status = HTTP_STATUS[code];
    if (status === 500) logger.error({ err: error, reqId: requestIdOf(res) }, 'request failed');
    sendJson(res, status, errorBody(code, message));
  };
}

function describe(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof ApiError || error instanceof DomainError) return { code: error.code, message: error.message };
  switch (bodyParserType(error)) {
    case 'entity.too.large':
      return { code: 'payload_too_large', message: 'request body is too large' };
    case 'entity.parse.failed':
      return { code: 'invalid_request', message: 'body: not valid JSON' };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return { code: 'invalid_request', message: 'body: unsupported encoding' };
    default:
      // Other request errors of express and body-parser (a malformed path, a body that does not
      // inflate) carry a 4xx status: they are the client's, not the server's.
      if (clientErrorStatus(error)) return { code: 'invalid_request', message: 'request: malformed' };
      return { code: 'internal_error', message: 'internal error' };
  }
}

function clientErrorStatus(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const status = 'status' in error ? error.status : 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' && status >= 400 && status < 500;
}

function bodyParserType(error: unknown): unknown {
  return typeof error === 'object' && error !== null && 'type' in error ? error.type : undefined;
}
