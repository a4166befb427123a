import { type ContentType, parse as parseContentType } from 'content-type';
import { ApiError } from './errors.js';
import type { HttpRequest, HttpStep } from './http-step.js';

const tooLarge = () => new ApiError('payload_too_large', 'request body is too large');
const notJson = () => new ApiError('invalid_request', 'body: not valid JSON');

/**
 * Reads a JSON request body into `req.body`, in place of express.json: body-parser's stream
 * decoding cost about 85 µs of CPU per request here, a third of a whole publish (bench/README.md).
 * Takes UTF-8 JSON objects and arrays without a Content-Encoding; a request that is not JSON
 * (by its Content-Type) is left alone, with `req.body` undefined, for the route's validation.
 * A body already read (by a reader mounted on a more specific path) is left as it is.
 */
export function jsonBody(limitBytes: number): HttpStep {
  return (req, _res, next) => {
    const contentType = req.body === undefined && hasBody(req) ? jsonContentType(req) : undefined;
    if (!contentType) return next();
    const refusal = refusalOf(req, contentType, limitBytes);
    if (refusal) return next(refusal);
    readJson(req, limitBytes, next);
  };
}

function readJson(req: HttpRequest, limitBytes: number, next: (error?: unknown) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let isSettled = false;
  const settle = (error?: ApiError) => {
    if (isSettled) return;
    isSettled = true;
    // What is left of a refused body is discarded by node once the response is sent.
    req.removeListener('data', onData);
    next(error);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limitBytes) return settle(tooLarge());
    chunks.push(chunk);
  };
  req.on('data', onData);
  req.once('error', () => settle(new ApiError('invalid_request', 'request: body not received')));
  req.once('end', () => {
    if (isSettled) return;
    const parsed = parseJsonBody(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    if (parsed === NOT_JSON) return settle(notJson());
    req.body = parsed;
    settle();
  });
}

const NOT_JSON = Symbol('not JSON');

/** The body as a JSON object or array (an empty body reads as `{}`), or NOT_JSON. */
function parseJsonBody(bytes: Buffer): object | typeof NOT_JSON {
  let text = bytes.toString('utf8');
  // A byte order mark is not JSON, but body-parser accepted (and dropped) it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    const body: unknown = JSON.parse(text);
    return typeof body === 'object' && body !== null ? body : NOT_JSON;
  } catch {
    // Only here, where it is rare, ask whether the body was empty (or only blanks).
    return text.trim() === '' ? {} : NOT_JSON;
  }
}

/** Why the body cannot be read at all, before a byte of it is: its size, encoding or charset. */
function refusalOf(req: HttpRequest, contentType: ContentType, limitBytes: number): ApiError | undefined {
  if (Number(req.headers['content-length']) > limitBytes) return tooLarge();
  const encoding = req.headers['content-encoding']?.trim().toLowerCase();
  if (encoding !== undefined && encoding !== '' && encoding !== 'identity') {
    return new ApiError(
      'invalid_request',
      `body: Content-Encoding '${encoding}' is not supported; send it uncompressed`,
    );
  }
  const charset = contentType.parameters.charset?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return new ApiError('invalid_request', 'body: unsupported charset; send UTF-8');
  }
  return undefined;
}

/** As type-is judges it: a chunked body, or any Content-Length (an empty JSON body reads as `{}`). */
function hasBody(req: HttpRequest): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && !Number.isNaN(Number(length)));
}

/** The request's Content-Type when it is JSON (`application/json` or any `+json` type). */
function jsonContentType(req: HttpRequest): ContentType | undefined {
  const header = req.headers['content-type'];
  if (header === undefined) return undefined;
  try {
    const contentType = parseContentType(header);
    return contentType.type === 'application/json' || contentType.type.endsWith('+json') ? contentType : undefined;
  } catch {
    return undefined;
  }
}
