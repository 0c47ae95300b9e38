#!/usr/bin/env node
// Runs a browser inside a network namespace and keeps its remote-control
// socket reachable from this one. Playwright's Chromium talks over a pipe, but
// puppeteer's Firefox serves WebDriver BiDi on a TCP port of the loopback of
// the namespace it runs in. This wrapper starts the browser with nsenter,
// watches its output for "listening on ws://127.0.0.1:PORT" and listens on the
// same port of this namespace's loopback (Firefox checks the port in the Host
// header) before passing the line on: each connection is carried by a small
// `nsenter ... node` pipe into the namespace.
//   usage: netns-browser.mjs /run/netns/NAME BROWSER [ARGS...]
import { spawn } from 'node:child_process';
import net from 'node:net';

const [nsPath, binary, ...args] = process.argv.slice(2);
const browser = spawn('nsenter', [`--net=${nsPath}`, binary, ...args], { stdio: ['inherit', 'inherit', 'pipe'] });
const PIPE = "const s=require('net').connect(+process.argv[1],'127.0.0.1');process.stdin.pipe(s);s.pipe(process.stdout);"
  + "s.on('error',()=>process.exit(1));s.on('close',()=>process.exit(0));";

let relay;
let pending = '';
browser.stderr.on('data', (chunk) => {
  pending += chunk.toString();
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    const m = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(line);
    if (!m || relay) { process.stderr.write(`${line}\n`); continue; }
    const inner = Number(m[1]);
    relay = net.createServer((socket) => {
      const pipe = spawn('nsenter', [`--net=${nsPath}`, process.execPath, '-e', PIPE, String(inner)], { stdio: ['pipe', 'pipe', 'ignore'] });
      socket.pipe(pipe.stdin);
      pipe.stdout.pipe(socket);
      socket.on('error', () => pipe.kill());
      socket.on('close', () => pipe.kill());
      pipe.on('exit', () => socket.destroy());
    });
    relay.on('error', (err) => { process.stderr.write(`netns-browser: cannot relay port ${inner}: ${err.message}\n`); browser.kill(); });
    relay.listen(inner, '127.0.0.1', () => process.stderr.write(`${line}\n`));
  }
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => browser.kill(sig));
browser.on('exit', (code, signal) => { relay?.close(); process.exit(code ?? (signal ? 1 : 0)); });
