/** Answers whether a dependency is reachable right now. */
export interface HealthCheck {
  isHealthy(): Promise<boolean>;
}
