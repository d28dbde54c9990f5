import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { startBridge, stderrLogger } from '../bridge.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const connection = fixture('connection');
const groups = fixture('groups');
const messages = fixture('messages');

/** A stand-in for a Baileys socket: an `ev` emitter plus the methods the bridge calls, each recorded. */
class FakeSocket {
  constructor() {
    this.ev = new EventEmitter();
    this.calls = [];
    this.user = undefined;
    this.authState = { creds: { registered: false } };
  }
  record(name, args, result) { this.calls.push([name, ...args]); return Promise.resolve(result); }
  sendMessage(...a) { return this.record('sendMessage', a, { key: { id: `SENT${this.calls.length}` } }); }
  sendPresenceUpdate(...a) { return this.record('sendPresenceUpdate', a); }
  readMessages(...a) { return this.record('readMessages', a); }
  groupFetchAllParticipating(...a) { return this.record('groupFetchAllParticipating', a, groups); }
  requestPairingCode(...a) { return this.record('requestPairingCode', a, 'ABCD1234'); }
  logout(...a) {
    this.calls.push(['logout']);
    this.ev.emit('connection.update', connection.close_logged_out);
    return Promise.resolve();
  }
  end() { this.ended = true; }
  open() {
    this.user = connection.user;
    this.ev.emit('connection.update', connection.open);
  }
}

async function harness() {
  const authDir = await mkdtemp(join(tmpdir(), 'wa-bridge-'));
  const input = new PassThrough();
  const output = new PassThrough();
  const sockets = [];
  const lines = [];
  const waiters = [];
  let pending = '';
  output.setEncoding('utf8');
  output.on('data', (chunk) => {
    pending += chunk;
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(pending.slice(0, i)));
      pending = pending.slice(i + 1);
      for (const w of [...waiters]) w();
    }
  });
  const bridge = startBridge({
    input, output, authDir, logger: stderrLogger('silent'), reconnectDelays: [5], pairWaitMs: 200,
    socketFactory: async () => { const s = new FakeSocket(); sockets.push(s); return s; },
  });
  /** Waits for the first event (from `from` on) that matches. */
  const next = (match, from = 0) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no event matched; got ${JSON.stringify(lines)}`)), 2000);
    const check = () => {
      const found = lines.slice(from).find(match);
      if (!found) return;
      clearTimeout(timer);
      waiters.splice(waiters.indexOf(check), 1);
      resolve(found);
    };
    waiters.push(check);
    check();
  });
  const send = (obj) => input.write((typeof obj === 'string' ? obj : JSON.stringify(obj)) + '\n');
  const ack = (ref) => next((e) => e.type === 'ack' && e.ref === ref);
  const socket = async (n = 0) => { while (!sockets[n]) await new Promise((r) => setTimeout(r, 2)); return sockets[n]; };
  return { authDir, input, lines, sockets, bridge, next, send, ack, socket };
}

test('connects, emits qr then connected then groups, and carries incoming messages', async () => {
  const h = await harness();
  const sock = await h.socket();
  sock.ev.emit('connection.update', connection.qr);
  assert.equal((await h.next((e) => e.type === 'qr')).qr, connection.qr.qr);
  sock.open();
  assert.deepEqual(await h.next((e) => e.type === 'connected'),
    { type: 'connected', jid: '4915199999999@s.whatsapp.net', lid: '99887766554433@lid', name: 'Owner' });
  assert.equal((await h.next((e) => e.type === 'groups')).groups.length, 2);
  sock.ev.emit('messages.upsert', messages.text_dm);
  assert.equal((await h.next((e) => e.type === 'message')).text, 'hello there');
  h.input.end();
  assert.equal(await h.bridge.done, 0);
  assert.ok(sock.ended, 'socket closed when stdin ends');
});

test('every command gets exactly one ack; a malformed line is an error and the bridge keeps going', async () => {
  const h = await harness();
  const sock = await h.socket();
  sock.open();
  await h.next((e) => e.type === 'connected');
  h.send('{this is not json');
  assert.match((await h.next((e) => e.type === 'error')).message, /malformed/);
  h.send({ type: 'send', ref: 's1', chat_jid: '4915112345678@s.whatsapp.net', text: 'hi' });
  assert.deepEqual(await h.ack('s1'), { type: 'ack', ref: 's1', ok: true, id: 'SENT1' });
  h.send({ type: 'typing', ref: 't1', chat_jid: '4915112345678@s.whatsapp.net', on: true });
  h.send({ type: 'mark_read', ref: 'm1', chat_jid: '4915112345678@s.whatsapp.net', message_ids: ['A', 'B'] });
  h.send({ type: 'explode', ref: 'x1' });
  h.send({ type: 'send', ref: 'big', chat_jid: '4915112345678@s.whatsapp.net', text: 'x'.repeat(65537) });
  h.send({ type: 'sync_groups', ref: 'g1' });
  assert.equal((await h.ack('t1')).ok, true);
  assert.equal((await h.ack('m1')).ok, true);
  assert.match((await h.ack('x1')).error, /unknown command/);
  assert.match((await h.ack('big')).error, /limit is 65536/);
  await h.ack('g1');
  const groupsIndex = h.lines.findLastIndex((e) => e.type === 'groups');
  assert.ok(groupsIndex < h.lines.findIndex((e) => e.ref === 'g1'), 'groups event comes before its ack');
  const acks = h.lines.filter((e) => e.type === 'ack').map((e) => e.ref);
  assert.deepEqual(acks.sort(), ['big', 'g1', 'm1', 's1', 't1', 'x1']);
  assert.deepEqual(sock.calls.map((c) => c[0]), ['groupFetchAllParticipating', 'sendMessage', 'sendPresenceUpdate',
    'readMessages', 'groupFetchAllParticipating']);
  assert.deepEqual(sock.calls[2], ['sendPresenceUpdate', 'composing', '4915112345678@s.whatsapp.net']);
  h.input.end();
  await h.bridge.done;
});

test('commands before the connection is open are refused, not queued', async () => {
  const h = await harness();
  await h.socket();
  h.send({ type: 'send', ref: 'early', chat_jid: '4915112345678@s.whatsapp.net', text: 'hi' });
  assert.deepEqual(await h.ack('early'),
    { type: 'ack', ref: 'early', ok: false, error: 'not connected to WhatsApp (wait for a connected event)' });
  h.input.end();
  await h.bridge.done;
});

test('a socket method that throws becomes an ack error', async () => {
  const h = await harness();
  const sock = await h.socket();
  sock.sendMessage = () => Promise.reject(new Error('rate-overlimit'));
  sock.open();
  await h.next((e) => e.type === 'connected');
  h.send({ type: 'send', ref: 'r', chat_jid: '4915112345678@s.whatsapp.net', text: 'hi' });
  assert.deepEqual(await h.ack('r'), { type: 'ack', ref: 'r', ok: false, error: 'rate-overlimit' });
  h.input.end();
  await h.bridge.done;
});

test('pair waits for the QR moment, emits the pairing code, then acks', async () => {
  const h = await harness();
  const sock = await h.socket();
  h.send({ type: 'pair', ref: 'p1', phone: '+49 151 12345678' });
  setTimeout(() => sock.ev.emit('connection.update', connection.qr), 20);
  assert.equal((await h.ack('p1')).ok, true);
  const codeAt = h.lines.findIndex((e) => e.type === 'pairing_code');
  assert.deepEqual(h.lines[codeAt], { type: 'pairing_code', code: 'ABCD1234' });
  assert.ok(codeAt < h.lines.findIndex((e) => e.ref === 'p1'));
  assert.deepEqual(sock.calls, [['requestPairingCode', '4915112345678']]);
  sock.open();
  await h.next((e) => e.type === 'connected');
  h.send({ type: 'pair', ref: 'p2', phone: '4915112345678' });
  assert.match((await h.ack('p2')).error, /already paired/);
  h.input.end();
  await h.bridge.done;
});

test('a lost connection is reported and a new socket is made; replaced stops the bridge', async () => {
  const h = await harness();
  const first = await h.socket(0);
  first.open();
  first.ev.emit('connection.update', connection.close_lost);
  assert.deepEqual(await h.next((e) => e.type === 'closed'),
    { type: 'closed', reason: 'connection_lost', will_reconnect: true, status_code: 428, detail: 'Connection Closed' });
  const second = await h.socket(1);
  first.ev.emit('messages.upsert', messages.text_dm); // a stale socket's events are ignored
  const from = h.lines.length;
  second.open();
  await h.next((e) => e.type === 'connected', from);
  assert.equal(h.lines.some((e) => e.type === 'message'), false);
  second.ev.emit('connection.update', connection.close_replaced);
  assert.equal((await h.next((e) => e.type === 'closed', from)).reason, 'replaced');
  assert.equal(await h.bridge.done, 2);
  assert.equal(h.sockets.length, 2, 'no reconnect after replaced');
});

test('logout: ack, closed logged_out, auth state removed, exit code 0', async () => {
  const h = await harness();
  await writeFile(join(h.authDir, 'creds.json'), '{}', { mode: 0o644 });
  const sock = await h.socket();
  assert.equal((await stat(h.authDir)).mode & 0o777, 0o700);
  assert.equal((await stat(join(h.authDir, 'creds.json'))).mode & 0o777, 0o600);
  sock.open();
  await h.next((e) => e.type === 'connected');
  h.send({ type: 'logout', ref: 'bye' });
  assert.equal((await h.ack('bye')).ok, true);
  assert.deepEqual(await h.next((e) => e.type === 'closed'),
    { type: 'closed', reason: 'logged_out', will_reconnect: false, status_code: 401, detail: 'Intentional Logout' });
  assert.equal(await h.bridge.done, 0);
  assert.deepEqual(await readdir(h.authDir), []);
});

test('existing auth files are made owner-only at start', async () => {
  const authDir = await mkdtemp(join(tmpdir(), 'wa-bridge-'));
  await writeFile(join(authDir, 'creds.json'), '{}', { mode: 0o644 });
  const input = new PassThrough();
  let made;
  const bridge = startBridge({ input, output: new PassThrough(), authDir, logger: stderrLogger('silent'),
    socketFactory: async () => { made = new FakeSocket(); return made; } });
  while (!made) await new Promise((r) => setTimeout(r, 2));
  assert.equal((await stat(join(authDir, 'creds.json'))).mode & 0o777, 0o600);
  input.end();
  await bridge.done;
});

test('an over-long line is refused with one error and the next line still works', async () => {
  const h = await harness();
  const sock = await h.socket();
  sock.open();
  await h.next((e) => e.type === 'connected');
  h.input.write('x'.repeat(600 * 1024));
  h.input.write('y'.repeat(600 * 1024));
  h.input.write('z\n');
  h.send({ type: 'typing', ref: 'after', chat_jid: '4915112345678@s.whatsapp.net', on: false });
  assert.equal((await h.ack('after')).ok, true);
  assert.equal(h.lines.filter((e) => e.type === 'error').length, 1);
  assert.match(h.lines.find((e) => e.type === 'error').message, /longer than/);
  h.input.end();
  await h.bridge.done;
});

test('the command line requires --auth-dir and says how to call it', () => {
  const bridge = fileURLToPath(new URL('../bridge.js', import.meta.url));
  const result = spawnSync(process.execPath, [bridge], { encoding: 'utf8', input: '' });
  assert.equal(result.status, 64);
  assert.equal(result.stdout, '', 'nothing but protocol on stdout');
  assert.match(result.stderr, /--auth-dir/);
});
