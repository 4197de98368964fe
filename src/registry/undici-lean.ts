/**
 * The parts of undici that berth uses, loaded by path: the package's entry also loads fetch,
 * WebSocket, cookies, mocks and caches, which cost every registry command about 60 ms at start.
 * Like the entry, this gives dispatchers their request/connect/... methods (ProxyAgent tunnels
 * through `connect`).
 */
import type { Dispatcher as DispatcherType } from 'undici';
import Agent from 'undici/lib/dispatcher/agent.js';
import EnvHttpProxyAgent from 'undici/lib/dispatcher/env-http-proxy-agent.js';
import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';

Object.assign(Dispatcher.prototype, api);

export { Agent, EnvHttpProxyAgent };

/** One request through `dispatcher`, as undici's `request(url, { dispatcher, ... })`. */
export function request(
  url: string,
  opts: Omit<DispatcherType.RequestOptions, 'origin' | 'path'> & { dispatcher: DispatcherType },
): Promise<DispatcherType.ResponseData> {
  const u = new URL(url);
  const { dispatcher, ...rest } = opts;
  return dispatcher.request({ ...rest, origin: u.origin, path: `${u.pathname}${u.search}` });
}
