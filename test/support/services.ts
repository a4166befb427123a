/**
 * Reads the address of an outside service a test needs. Without it the test is skipped with a
 * one-line reason, unless REQUIRE_SERVICES=1 (as in CI), where a missing service fails the run.
 */
export function serviceUrl(variable: 'DATABASE_URL' | 'REDIS_URL'): string | undefined {
  const value = process.env[variable];
  if (!value && process.env.REQUIRE_SERVICES === '1') {
    throw new Error(`REQUIRE_SERVICES=1 but ${variable} is not set`);
  }
  return value || undefined;
}

/** The suffix a skipped suite's title carries, so the reason shows in the report. */
export function skipReason(variable: string): string {
  return `(skipped: ${variable} is not set)`;
}
