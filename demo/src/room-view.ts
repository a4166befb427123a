import type { JoinInfo, MemberData, Room, RoomEvent, RoomEventOf, RoomcastClient } from '../../client/src/index.js';
import type { Api } from './api.js';
import { $, element, notify } from './dom.js';

/** The event types the demo publishes, with their data. */
export type ChatEvents = { 'chat.message': { text: string } };

/** How the event list words what the server says about people. */
const ACTIVITY = {
  'member.joined': 'joined',
  'member.left': 'left',
} as const;

/** How many earlier events a room shows when it is opened. */
const HISTORY = 50;

/** One open room: its events, its members (marked when present), the message box. */
export class RoomView {
  private readonly members = new Map<string, string>();
  private room: Room<ChatEvents> | undefined;
  /** Events up to this seq arrived in a replay after a reconnect. */
  private caughtUpTo = 0;
  private joins = 0;

  constructor(
    private readonly client: RoomcastClient,
    private readonly api: Api,
    readonly roomId: string,
  ) {}

  async open(): Promise<void> {
    $('#room-title').textContent = this.roomId;
    $('#events').replaceChildren();
    $('#members').replaceChildren();
    $('#present-count').textContent = '';
    $('#room').hidden = false;
    const summary = await this.api.getRoom(this.roomId);
    $('#room-title').textContent = summary.name;
    // Resume a little before the end: the server replays that history, then goes live, with no gap.
    const room = this.client.join<ChatEvents>(this.roomId, {
      since: Math.max(0, summary.lastSeq - HISTORY),
      epoch: summary.epoch,
    });
    this.room = room;
    room.on('event', (event) => this.show(event));
    room.on('joined', (info) => this.joined(info));
    // Presence is state: each join's snapshot, then diffs, kept in room.presence.
    room.on('presence', () => this.showMembers());
    room.on('recovery-failed', () => this.status('Some missed events are no longer kept: showing live events only.'));
    room.on('error', (error) => notify(`Room ${this.roomId}: ${error.code}: ${error.message}`));
    await room.ready;
    for (const member of await this.api.listMembers(this.roomId)) this.members.set(member.userId, member.name);
    this.showMembers();
  }

  async post(text: string): Promise<void> {
    await this.room?.publish('chat.message', { text });
  }

  /** Stops receiving the room (membership stays). */
  async close(): Promise<void> {
    $('#room').hidden = true;
    await this.room?.unsubscribe();
  }

  async leave(): Promise<void> {
    $('#room').hidden = true;
    await this.room?.leave();
  }

  private joined(info: JoinInfo): void {
    this.joins += 1;
    // A first join shows history, not missed events; an unrecovered one says so through 'recovery-failed'.
    if (this.joins === 1 || !this.room || !info.recovered) return;
    const missed = info.seq - (this.room.seq ?? info.seq);
    this.caughtUpTo = info.seq;
    this.status(missed > 0 ? `Reconnected: ${missed} missed event(s) replayed.` : 'Reconnected: nothing missed.');
  }

  private show(event: RoomEventOf<ChatEvents>): void {
    const item = element('li', { data: { seq: String(event.seq), type: event.type } });
    item.append(element('span', { className: 'seq', text: `#${event.seq}` }));
    if (event.type in ACTIVITY) {
      const { type, data } = event as RoomEvent<keyof typeof ACTIVITY, MemberData>;
      this.track(type, data);
      item.classList.add('member');
      item.append(`${data.name} ${ACTIVITY[type]}`);
    } else if (event.type === 'chat.message' && typeof event.data?.text === 'string') {
      item.append(element('strong', { text: this.nameOf(event.sender) }), ` ${event.data.text}`);
    } else {
      // Backends may publish types (or data) the demo does not expect: show them as they are.
      const other = event as RoomEvent;
      item.append(
        element('strong', { text: this.nameOf(other.sender) }),
        ` ${other.type} ${JSON.stringify(other.data)}`,
      );
    }
    if (event.seq <= this.caughtUpTo) {
      item.classList.add('caught-up');
      item.title = 'missed while disconnected, replayed on reconnect';
    }
    this.append(item);
  }

  private track(type: keyof typeof ACTIVITY, user: MemberData): void {
    if (type === 'member.joined') this.members.set(user.userId, user.name);
    else this.members.delete(user.userId);
    this.showMembers();
  }

  private status(text: string): void {
    this.append(element('li', { className: 'status', text }));
  }

  private append(item: HTMLElement): void {
    const list = $('#events');
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  /** Members, each marked online when present; above the server's listing limit presence is a count alone. */
  private showMembers(): void {
    const presence = this.room?.presence;
    const items = [...this.members].map(([userId, name]) =>
      element('li', { text: name, data: { user: userId, online: String(presence?.users?.has(userId) ?? false) } }),
    );
    $('#members').replaceChildren(...items);
    $('#present-count').textContent = presence ? `${presence.count} here` : '';
  }

  private nameOf(userId: string): string {
    return this.members.get(userId) ?? userId;
  }
}
