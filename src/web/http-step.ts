import type { IncomingMessage, ServerResponse } from 'node:http';

/** A request with the JSON body a body reader left on it. */
export type HttpRequest = IncomingMessage & { body?: unknown };

/**
 * One step of serving a request, on node's own request and response so that express and the
 * publish fast path run the very same steps: it calls `next()` to go on, or `next(error)` (or
 * throws, or rejects) to end in the error handler.
 */
export type HttpStep = (req: HttpRequest, res: ServerResponse, next: (error?: unknown) => void) => void | Promise<void>;

/** Runs `steps` in order, as express runs middleware; `onError` gets what any of them threw or passed on. */
export function runSteps(
  steps: readonly HttpStep[],
  req: HttpRequest,
  res: ServerResponse,
  onError: (error: unknown) => void,
): void {
  const at = (index: number): void => {
    const step = steps[index];
    if (!step) return;
    let isCalled = false;
    const next = (error?: unknown) => {
      if (isCalled) return;
      isCalled = true;
      if (error !== undefined) onError(error);
      else at(index + 1);
    };
    try {
      const running = step(req, res, next);
      if (running) running.catch(next);
    } catch (error) {
      next(error);
    }
  };
  at(0);
}

/** Writes `body` as the JSON answer, with the headers express's `res.json` gives it. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendJsonText(res, status, JSON.stringify(body));
}

/** Writes JSON text as the answer, with the headers express's `res.json` gives it. */
export function sendJsonText(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
