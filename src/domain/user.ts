/** The authenticated caller: a person, or a backend holding a service token. */
export interface User {
  readonly id: string;
  readonly name: string;
  /** Service callers read, publish and list members of any room without being members. */
  readonly isService: boolean;
}
