/** Answers whether a dependency is reachable right now. */
export interface HealthCheck {
  /** What is checked, as `/readyz` names it ("database", "broker"). */
  readonly name: string;
  isHealthy(): Promise<boolean>;
}
