/** One message of a Server-Sent Events stream. */
export interface StreamMessage {
  /** `message` when the server named none. */
  readonly event: string;
  readonly data: string;
  readonly id?: string;
}

/**
 * Reads Server-Sent Events out of text as it arrives, line by line, as the HTML standard says:
 * `field: value` lines, a blank line ending a message, `:` starting a comment (a keepalive).
 */
export class EventStreamParser {
  private pending = '';
  private event: string | undefined;
  private data: string[] | undefined;
  private id: string | undefined;

  constructor(
    private readonly onMessage: (message: StreamMessage) => void,
    private readonly onComment: (text: string) => void = () => undefined,
  ) {}

  push(text: string): void {
    const all = this.pending + text;
    // A CR at the very end may be half of a CRLF: it waits for what follows.
    const end = all.endsWith('\r') ? all.length - 1 : all.length;
    const lines = all.slice(0, end).split(/\r\n|\r|\n/);
    this.pending = lines.pop()! + all.slice(end);
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return this.onComment(line.slice(1).trimStart());
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
    if (field === 'data') (this.data ??= []).push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id') this.id = value;
  }

  private dispatch(): void {
    const { event = 'message', data, id } = this;
    this.event = this.data = this.id = undefined;
    if (data !== undefined) this.onMessage({ event, data: data.join('\n'), ...(id !== undefined && { id }) });
  }
}
