import { type ConnectionState, type RoomcastClient, connect } from '../../client/src/index.js';
import { Api, ApiError, devToken } from './api.js';
import { $, element, notify } from './dom.js';
import { RoomView } from './room-view.js';

const STATE_LABELS: Record<ConnectionState, string> = {
  connecting: 'connecting…',
  open: 'connected',
  reconnecting: 'reconnecting…',
  closed: 'disconnected',
};

let client: RoomcastClient;
let api: Api;
let current: RoomView | undefined;

/** Runs a UI action, showing its failure instead of losing it. */
function attempt(action: () => Promise<void>): void {
  action().catch((error: unknown) => {
    // ApiError and RoomcastError both carry the server's error code.
    const code = (error as { code?: unknown } | undefined)?.code;
    const message = error instanceof Error ? error.message : String(error);
    notify(typeof code === 'string' ? `${code}: ${message}` : message);
  });
}

function showState(state: ConnectionState, detail = ''): void {
  const badge = $('#connection');
  badge.dataset.state = state;
  badge.textContent = STATE_LABELS[state] + detail;
}

async function signIn(form: HTMLFormElement): Promise<void> {
  const fields = new FormData(form);
  const name = String(fields.get('name')).trim();
  const pasted = String(fields.get('token') ?? '').trim();
  const userId = name.toLowerCase();
  let token: string;
  try {
    token = pasted || (await devToken(userId, name));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      form.querySelector('details')?.setAttribute('open', '');
      throw new Error('this server hands out no development tokens: paste a token');
    }
    throw error;
  }
  // The first connection uses the token just fetched; each reconnect asks for a fresh one, as an
  // app whose tokens expire would.
  let isTokenFresh = true;
  const getToken = async () => {
    if (isTokenFresh) {
      isTokenFresh = false;
      return token;
    }
    return (token = pasted || (await devToken(userId, name)));
  };
  api = new Api(() => token);
  client = connect({
    url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/ws`,
    getToken,
    reconnect: { baseDelayMs: 250, maxDelayMs: 5000 },
  });
  showState(client.state);
  client.on('state', ({ state }) => {
    showState(state);
    if (state === 'open') notify('');
  });
  client.on('retry', ({ delayMs }) => showState('reconnecting', ` (next try in ${(delayMs / 1000).toFixed(1)} s)`));
  client.on('error', (error) => notify(error.message));
  form.hidden = true;
  $('#app').hidden = false;
  $('#user').textContent = name;
  notify('');
  await refreshRooms();
}

async function refreshRooms(): Promise<void> {
  const rooms = await api.listRooms();
  const items = rooms.map((room) => {
    const button = element('button', { text: room.name, data: { room: room.id } });
    button.setAttribute('type', 'button');
    if (room.id === current?.roomId) button.setAttribute('aria-current', 'true');
    button.addEventListener('click', () => attempt(() => openRoom(room.id)));
    const item = element('li');
    item.append(button);
    return item;
  });
  $('#rooms').replaceChildren(...(items.length > 0 ? items : [element('li', { text: 'No rooms yet: create one.' })]));
}

async function openRoom(roomId: string): Promise<void> {
  if (current?.roomId === roomId) return;
  await current?.close();
  current = new RoomView(client, api, roomId);
  await refreshRooms();
  await current.open();
}

function on(selector: string, type: 'submit' | 'click', handler: (target: HTMLFormElement) => Promise<void>): void {
  $(selector).addEventListener(type, (event) => {
    event.preventDefault();
    attempt(() => handler(event.currentTarget as HTMLFormElement));
  });
}

on('#sign-in', 'submit', signIn);
on('#refresh-rooms', 'click', refreshRooms);
on('#create-room', 'submit', async (form) => {
  const fields = new FormData(form);
  const room = await api.createRoom(String(fields.get('id')), String(fields.get('name')));
  form.reset();
  await openRoom(room.id);
});
on('#post', 'submit', async (form) => {
  const input = form.elements.namedItem('text') as HTMLInputElement;
  const text = input.value;
  input.value = '';
  await current?.post(text);
});
on('#leave-room', 'click', async () => {
  await current?.leave();
  current = undefined;
  await refreshRooms();
});
