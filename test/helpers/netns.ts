import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test hosts behind real network limits: each host is a network namespace
 * joined to this machine by a veth pair, on 198.18.0.0/15 (the range set
 * aside for network benchmarks). The server listens on SERVER_ADDRESS, an
 * address on this machine's loopback that every test host routes to. Nothing is sent beyond these
 * addresses. Needs root, iproute2 and iptables (scripts/prepare.mjs --for-tests).
 */
export const SERVER_ADDRESS = '198.18.255.1';
const here = path.dirname(fileURLToPath(import.meta.url));

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const tryRun = (cmd: string, args: string[]) => { try { sh(cmd, args); } catch { /* already gone */ } };

export function assertNetworkLab(): void {
  if (process.getuid?.() !== 0) throw new Error('network-limit tests need root (they create network namespaces and tc limits)');
  for (const tool of ['ip', 'tc', 'iptables', 'nsenter']) {
    try { sh('sh', ['-c', `command -v ${tool}`]); } catch {
      throw new Error(`network-limit tests need ${tool}: run node scripts/prepare.mjs --for-tests as root`);
    }
  }
  try { sh('ip', ['netns', 'list']); } catch (err) {
    throw new Error(`network namespaces are not available here: ${(err as Error).message}`);
  }
}

/** The server's address on the lab network; idempotent. */
export function ensureServerAddress(): string {
  assertNetworkLab();
  if (!sh('ip', ['-o', 'addr', 'show', 'dev', 'lo']).includes(` ${SERVER_ADDRESS}/32`)) {
    sh('ip', ['addr', 'add', `${SERVER_ADDRESS}/32`, 'dev', 'lo']);
  }
  return SERVER_ADDRESS;
}

/** Removes the lab address once no test host is left (tests from another checkout may still use it). */
export function removeServerAddress(): void {
  if (/ vwh\d+@/.test(sh('ip', ['-o', 'link', 'show']))) return;
  tryRun('ip', ['addr', 'del', `${SERVER_ADDRESS}/32`, 'dev', 'lo']);
}

export interface TestHost {
  name: string;
  /** The host's own address, as the server sees it. */
  address: string;
  /** Runs a command inside the host's namespace. */
  exec(cmd: string, args: string[]): string;
  /** A script that runs `binary` inside the namespace (for playwright's executablePath). */
  wrap(binary: string): string;
  /**
   * The same for a browser controlled over a TCP port (puppeteer's Firefox):
   * the script also relays that port to this namespace (netns-browser.mjs).
   */
  wrapRelayed(binary: string): string;
  /** Rate limit of traffic towards the host (kbit/s, tbf bucket of `burstKb`, default 4); undefined removes it. */
  limitDownlink(kbit?: number, burstKb?: number): void;
  /** Rate limit of traffic the host sends (kbit/s); undefined removes it. */
  limitUplink(kbit?: number): void;
  /** Random loss of incoming UDP (0..1); 0 removes it. */
  setIncomingLoss(probability: number): void;
  /**
   * A strict firewall, as in many hospitals: everything the host sends is
   * dropped (all UDP, all TCP) except TCP to these ports of the server.
   */
  allowOnlyTcpTo(ports: number[]): void;
  destroy(): void;
}

let nextIndex = 1;

/** `index` (1-250) names the host and its subnet; give one to stay clear of tests run from another checkout. */
export function createTestHost(label: string, index = (process.pid % 200) + nextIndex++): TestHost {
  ensureServerAddress();
  const name = `vw-${label}-${index}`.slice(0, 15);
  const ns = name;
  const outer = `vwh${index}`;
  const inner = `vwc${index}`;
  const subnet = `198.18.${index}`;
  tryRun('ip', ['netns', 'del', ns]);
  tryRun('ip', ['link', 'del', outer]);
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', outer, 'type', 'veth', 'peer', 'name', inner]);
  sh('ip', ['link', 'set', inner, 'netns', ns]);
  sh('ip', ['addr', 'add', `${subnet}.1/30`, 'dev', outer]);
  sh('ip', ['link', 'set', outer, 'up']);
  // nsenter switches only the network namespace (`ip netns exec` also remounts /sys, which fails in a chroot).
  const nsPath = `/run/netns/${ns}`;
  const inNs = (cmd: string, args: string[]) => sh('nsenter', [`--net=${nsPath}`, cmd, ...args]);
  inNs('ip', ['addr', 'add', `${subnet}.2/30`, 'dev', inner]);
  inNs('ip', ['link', 'set', inner, 'up']);
  inNs('ip', ['link', 'set', 'lo', 'up']);
  inNs('ip', ['route', 'add', `${SERVER_ADDRESS}/32`, 'via', `${subnet}.1`]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));

  const tbf = (run: (cmd: string, args: string[]) => string, dev: string, kbit?: number, burstKb = 4) => {
    try { run('tc', ['qdisc', 'del', 'dev', dev, 'root']); } catch { /* none yet */ }
    if (kbit !== undefined) run('tc', ['qdisc', 'add', 'dev', dev, 'root', 'tbf', 'rate', `${kbit}kbit`, 'burst', `${burstKb}kb`, 'latency', '100ms']);
  };
  return {
    name,
    address: `${subnet}.2`,
    exec: inNs,
    wrap(binary) {
      const file = path.join(dir, path.basename(binary));
      fs.writeFileSync(file, `#!/bin/sh\nexec nsenter --net=${nsPath} ${binary} "$@"\n`, { mode: 0o755 });
      return file;
    },
    wrapRelayed(binary) {
      const file = path.join(dir, `${path.basename(binary)}-relayed`);
      fs.writeFileSync(file, `#!/bin/sh\nexec ${process.execPath} ${path.join(here, 'netns-browser.mjs')} ${nsPath} ${binary} "$@"\n`, { mode: 0o755 });
      return file;
    },
    limitDownlink: (kbit, burstKb) => tbf(sh, outer, kbit, burstKb),
    limitUplink: (kbit) => tbf(inNs, inner, kbit),
    setIncomingLoss(probability) {
      try { inNs('iptables', ['-F', 'INPUT']); } catch { /* empty */ }
      if (probability > 0) inNs('iptables', ['-A', 'INPUT', '-p', 'udp', '-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP']);
    },
    allowOnlyTcpTo(ports) {
      inNs('iptables', ['-F', 'OUTPUT']);
      inNs('iptables', ['-A', 'OUTPUT', '-o', 'lo', '-j', 'ACCEPT']);
      for (const port of ports) inNs('iptables', ['-A', 'OUTPUT', '-p', 'tcp', '-d', SERVER_ADDRESS, '--dport', String(port), '-j', 'ACCEPT']);
      inNs('iptables', ['-A', 'OUTPUT', '-j', 'DROP']);
    },
    destroy() {
      tryRun('ip', ['netns', 'del', ns]);
      tryRun('ip', ['link', 'del', outer]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
