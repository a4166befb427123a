import type { TargetKind } from '../shared/commands.js';
import { compiledPath } from '../compile.js';
import { freePort, spawnPinned, waitUntilReady } from './pinned-process.js';
import { SERVER_CORE, type RunningTarget, type TargetLauncher, diagnosticFlags } from './target.js';

const HOST = '127.0.0.1';

/** socket.io or ws-raw: the reference servers written in bench/targets, compiled to plain JS. */
export function peerLauncher(kind: Exclude<TargetKind, 'roomcast'>): TargetLauncher {
  const program = kind === 'socket.io' ? 'socketIoServer' : 'wsRawServer';
  return {
    kind,
    storage: 'none (in memory)',
    async start(options = {}): Promise<RunningTarget> {
      const port = await freePort();
      const server = spawnPinned({
        core: SERVER_CORE,
        command: [process.execPath, ...diagnosticFlags(options), compiledPath(program)],
        openFiles: options.openFiles,
        env: { PORT: String(port), HOST, NODE_ENV: 'production' },
      });
      await waitUntilReady(`http://${HOST}:${port}/healthz`, server);
      return {
        address: { kind, host: HOST, port, serverPid: server.pid },
        createRooms: () => Promise.resolve(),
        stop: () => server.stop(),
      };
    },
    dispose: () => Promise.resolve(),
  };
}
