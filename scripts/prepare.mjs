#!/usr/bin/env node
// Makes a fresh machine ready to run visitwire; `npm start` and `npm test` run
// it first, and it returns at once when everything is in place.
//   1. the mediasoup worker: from the cache outside the clone, else mediasoup's
//      prebuilt download, else the offline build against Debian libraries;
//   2. the browser SDK bundle (dist/visitwire-sdk.js);
//   3. with --for-tests: Chromium, Firefox ESR, Prometheus, coturn, openssl and the network tools the tests drive.
// --worker-only stops after step 1 (the image build runs it before copying the sources);
// --sdk-only runs step 2 alone (npm run build:sdk).
// Missing apt packages are installed when running as root with apt-get; other
// users get the exact command to run.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');
const log = (msg) => console.error(`[prepare] ${msg}`);

const WORKER_BUILD_APT = ['build-essential', 'pkg-config', 'python3', 'python3-venv', 'python3-pip', 'libssl-dev',
  'libuv1-dev', 'libsrtp2-dev', 'libusrsctp-dev', 'libabsl-dev', 'libflatbuffers-dev', 'flatbuffers-compiler'];
const TEST_APT = ['chromium', 'firefox-esr', 'iproute2', 'iptables', 'procps', 'util-linux', 'prometheus', 'coturn', 'openssl'];

function missingDebs(pkgs) {
  return pkgs.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return !(r.stdout || '').includes('install ok installed');
  });
}

function ensureDebs(pkgs, why) {
  const missing = missingDebs(pkgs);
  if (missing.length === 0) return;
  const cmd = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const canApt = process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0;
  if (!canApt) {
    log(`${why} needs Debian packages that are missing: ${missing.join(' ')}`);
    log(`run as root:  sudo sh -c '${cmd}'`);
    process.exit(1);
  }
  log(`${why}: apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=600', ...missing],
    { stdio: ['ignore', 'ignore', 'inherit'], env });
}

// The worker runs when mediasoup can start it and create a router on it.
function workerRuns(bin) {
  if (!fs.existsSync(bin)) return false;
  const script = "const ms = await import('mediasoup'); const w = await ms.createWorker({ logLevel: 'none' });" +
    " await w.createRouter({ mediaCodecs: [] }); w.close();";
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script],
    { cwd: root, env: { ...process.env, MEDIASOUP_WORKER_BIN: bin }, timeout: 20_000, encoding: 'utf8' });
  return r.status === 0;
}

async function downloadPrebuilt(version, dest) {
  if (process.env.VISITWIRE_OFFLINE === '1') return false;
  const name = `mediasoup-worker-${version}-${os.platform()}-${os.arch()}` +
    (os.platform() === 'linux' ? `-kernel${os.release().split('.')[0]}` : '') + '.tgz';
  const url = `https://github.com/versatica/mediasoup/releases/download/${version}/${name}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ms-prebuilt-'));
    fs.writeFileSync(path.join(tmp, name), Buffer.from(await res.arrayBuffer()));
    execFileSync('tar', ['-xzf', name], { cwd: tmp });
    fs.copyFileSync(path.join(tmp, 'mediasoup-worker'), dest);
    fs.chmodSync(dest, 0o755);
    fs.rmSync(tmp, { recursive: true, force: true });
    log(`downloaded mediasoup's prebuilt worker ${name}`);
    return true;
  } catch (err) {
    log(`no prebuilt worker (${url}: ${err.cause?.code ?? err.message}); building it offline`);
    return false;
  }
}

async function ensureWorker() {
  const pkgDir = path.join(root, 'node_modules', 'mediasoup');
  const version = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const target = path.join(pkgDir, 'worker', 'out', 'Release', 'mediasoup-worker');
  if (workerRuns(target)) return;

  const cacheDir = process.env.VISITWIRE_CACHE_DIR ||
    path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'visitwire');
  const cached = path.join(cacheDir, `mediasoup-worker-${version}-${os.platform()}-${os.arch()}`);
  fs.mkdirSync(cacheDir, { recursive: true });
  // A cached offline-built worker on a machine without its Debian libraries (a fresh image layer) gets them, not a rebuild.
  const cachedRuns = () => workerRuns(cached) || (fs.existsSync(cached) && missingDebs(WORKER_BUILD_APT).length > 0 &&
    (ensureDebs(WORKER_BUILD_APT, 'the cached mediasoup worker'), workerRuns(cached)));
  if (!cachedRuns() && !((await downloadPrebuilt(version, cached)) && workerRuns(cached))) {
    ensureDebs(WORKER_BUILD_APT, 'the offline mediasoup worker build');
    log(`building mediasoup-worker ${version} offline (about 5 minutes on 2 cores; cached in ${cacheDir})`);
    const r = spawnSync('bash', [path.join(root, 'scripts', 'build-worker.sh'), pkgDir, path.join(cacheDir, 'build')],
      { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (r.status !== 0) { log('the offline worker build failed; see the output above'); process.exit(1); }
    fs.copyFileSync(r.stdout.trim().split('\n').pop(), cached);
    if (!workerRuns(cached)) { log(`the built worker ${cached} does not run`); process.exit(1); }
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(cached, target);
  fs.chmodSync(target, 0o755);
  log(`mediasoup-worker ${version} ready (${cached})`);
}

async function buildSdk() {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [path.join(root, 'signaling', 'sdk', 'browser.ts')],
    outfile: path.join(root, 'dist', 'visitwire-sdk.js'),
    bundle: true, format: 'esm', target: 'chrome110', sourcemap: true, logLevel: 'warning',
  });
}

function ensureTestTools() {
  ensureDebs(TEST_APT, 'the browser and network tests');
}

if (process.argv.includes('--sdk-only')) {
  await buildSdk();
  process.exit(0);
}
await ensureWorker();
if (process.argv.includes('--worker-only')) process.exit(0);
await buildSdk();
if (forTests) ensureTestTools();
