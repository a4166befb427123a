import type { ServerResponse } from 'node:http';
import type { ErrorResponder } from './errors.js';
import { type HttpRequest, type HttpStep, runSteps } from './http-step.js';
import { contextOf } from './request-context.js';
import type { PublishRoute } from './routes/publish-routes.js';

const API_BASE = '/v1';

/**
 * Serves the publish routes without express: express's application, router and request objects
 * cost about a third of a publish (bench/README.md). It runs the same steps the express app runs
 * for these routes, in the same order, the route's own handler, and the same error responder; a
 * request it does not recognise exactly (another method, a trailing slash, an escaped room id,
 * any other path) goes to express, which answers it the same way. Returns whether it took the request.
 */
export function publishFastPath(
  routes: readonly PublishRoute[],
  stepsFor: (route: PublishRoute) => readonly HttpStep[],
  respondToError: ErrorResponder,
): (req: HttpRequest, res: ServerResponse) => boolean {
  const served = routes.map((route) => ({ route, steps: [...stepsFor(route), serve(route)] }));
  return (req, res) => {
    if (req.method !== 'POST' || !req.url?.startsWith(API_BASE)) return false;
    const query = req.url.indexOf('?');
    const path = req.url.slice(API_BASE.length, query === -1 ? undefined : query);
    for (const { route, steps } of served) {
      const params = route.match(path);
      if (!params) continue;
      contextOf(res).route = `${API_BASE}${route.path}`;
      paramsOf.set(req, params);
      runSteps(steps, req, res, (error) => respondToError(error, req, res, undefined));
      return true;
    }
    return false;
  };
}

const paramsOf = new WeakMap<HttpRequest, Record<string, string>>();

/** The route's handler as the last step, with the parameters its match found. */
function serve(route: PublishRoute): HttpStep {
  return (req, res) => route.handle(req, res, paramsOf.get(req)!);
}
