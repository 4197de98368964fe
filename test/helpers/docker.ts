import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RealDocker {
  /** Runs the real docker CLI against this engine. */
  docker(args: string[], input?: Buffer): { code: number; stdout: string; stderr: string };
  stop(): Promise<void>;
}

export function haveDockerd(): boolean {
  return existsSync('/usr/sbin/dockerd') && existsSync('/usr/bin/docker');
}

/**
 * Starts a private Docker engine (Debian's docker.io) for interoperability tests: its own socket,
 * data root and containerd under `dir`, no bridge, no iptables, and a dead proxy so it can reach
 * nothing outside the machine.
 */
export async function startDocker(dir: string): Promise<RealDocker> {
  mkdirSync(dir, { recursive: true });
  const sock = join(dir, 'docker.sock');
  const cfg = join(dir, 'daemon.json');
  writeFileSync(cfg, JSON.stringify({ 'storage-driver': 'overlay2', iptables: false, 'ip-masq': false, bridge: 'none', 'log-level': 'warn' }));
  const child: ChildProcess = spawn(
    '/usr/sbin/dockerd',
    [
      '--config-file', cfg,
      '--host', `unix://${sock}`,
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'dockerd.pid'),
      '--containerd-namespace', 'berth-test',
      '--containerd-plugins-namespace', 'berth-test-plugins',
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost,::1' },
    },
  );
  let log = '';
  child.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const docker = (args: string[], input?: Buffer) => {
    try {
      const stdout = execFileSync('/usr/bin/docker', ['-H', `unix://${sock}`, ...args], {
        input,
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
        maxBuffer: 256 << 20,
      });
      return { code: 0, stdout, stderr: '' };
    } catch (err) {
      const e = err as { status: number; stdout: string; stderr: string };
      return { code: e.status ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    }
  };
  for (let i = 0; i < 120; i++) {
    if (docker(['version', '--format', '{{.Server.Version}}']).code === 0) break;
    if (child.exitCode !== null) throw new Error(`dockerd exited: ${log}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  if (docker(['version']).code !== 0) {
    child.kill('SIGKILL');
    throw new Error(`dockerd did not start: ${log}`);
  }
  return {
    docker,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, 15000);
          child.once('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
      try {
        execFileSync('umount', ['-R', join(dir, 'data')], { stdio: 'ignore' });
      } catch {
        /* nothing mounted */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
