import express, { type Router } from 'express';

/**
 * The demo's own scripts and styles, and REST and WebSocket calls to this origin only ('self'
 * covers ws: and wss: on the same host). It replaces helmet's policy for the demo's files because
 * helmet's `upgrade-insecure-requests` would break the demo on plain-HTTP development servers.
 */
const DEMO_CSP = [
  "default-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The demo page at `/`, from the directory `npm run build` bundles it into. */
export function demoRoutes(bundleDir: string): Router {
  return express.Router().use(
    express.static(bundleDir, {
      index: 'index.html',
      redirect: false,
      setHeaders: (res) => res.setHeader('Content-Security-Policy', DEMO_CSP),
    }),
  );
}
