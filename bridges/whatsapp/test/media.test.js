import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBridge, stderrLogger } from '../bridge.js';
import { Translator, mediaOf, parseCommand } from '../translate.js';

// Recorded Baileys message shapes (keys, urls and hashes replaced by stand-ins).
const media = JSON.parse(readFileSync(new URL('./fixtures/media.json', import.meta.url), 'utf8'));
const connection = JSON.parse(readFileSync(new URL('./fixtures/connection.json', import.meta.url), 'utf8'));
const onlyMessage = (events) => events.filter((e) => e.type === 'message')[0];
const translate = (name) => onlyMessage(new Translator().messagesUpsert(media[name]));

test('an image with a caption: the caption is the text, media carries kind, mime and the declared size', () => {
  const m = translate('image_caption');
  assert.equal(m.text, '@Andy what is this plant?');
  assert.deepEqual(m.media, { kind: 'image', mime: 'image/jpeg', size: 183412 });
  assert.equal(m.id, '3EB0IMG0001');
});

test('a voice note (ptt audio) has no text and is kind voice; its size is a numeric string in the shape', () => {
  const m = translate('voice_note');
  assert.equal(m.text, '');
  assert.deepEqual(m.media, { kind: 'voice', mime: 'audio/ogg; codecs=opus', size: 12871 });
});

test('a document with caption is unwrapped; the sender\'s file name and title are never passed on', () => {
  const m = translate('document_caption');
  assert.equal(m.text, 'the contract');
  assert.deepEqual(m.media, { kind: 'document', mime: 'application/pdf', size: 524288 });
  assert.ok(!JSON.stringify(m).includes('passwd') && !JSON.stringify(m).includes('bashrc'));
});

test('a sticker is an image; an oversized video still becomes a message with its declared size', () => {
  assert.deepEqual(translate('sticker').media, { kind: 'image', mime: 'image/webp', size: 20480 });
  assert.deepEqual(translate('oversized_video').media, { kind: 'video', mime: 'video/mp4', size: 104857600 });
});

test('hostile sizes and mimes are dropped, not passed on', () => {
  assert.deepEqual(mediaOf({ imageMessage: { fileLength: -5, mimetype: 'x'.repeat(500) } }), { kind: 'image' });
  assert.deepEqual(mediaOf({ imageMessage: { fileLength: '99999999999999999999' } }), { kind: 'image' });
  assert.deepEqual(mediaOf({ imageMessage: { fileLength: { low: -1, high: 0x7fffffff } } }), { kind: 'image' });
});

test('download commands are validated', () => {
  const ok = { type: 'download', ref: 'd', chat_jid: '4915112345678@s.whatsapp.net', id: 'X', max_bytes: 10 };
  assert.ok(parseCommand(JSON.stringify(ok)).command);
  assert.match(parseCommand(JSON.stringify({ ...ok, max_bytes: -1 })).ack.error, /max_bytes/);
  assert.match(parseCommand(JSON.stringify({ ...ok, max_bytes: '10' })).ack.error, /max_bytes/);
  assert.match(parseCommand(JSON.stringify({ ...ok, id: '' })).ack.error, /id must be/);
});

/** The bridge with a fake socket and a fake download (WhatsApp's media servers are not reachable in tests). */
async function harness(downloadMedia) {
  const mediaDir = join(await mkdtemp(join(tmpdir(), 'wa-media-')), 'spool');
  const authDir = await mkdtemp(join(tmpdir(), 'wa-auth-'));
  const input = new PassThrough();
  const output = new PassThrough();
  const lines = [];
  let pending = '';
  output.setEncoding('utf8');
  output.on('data', (chunk) => {
    pending += chunk;
    let i;
    while ((i = pending.indexOf('\n')) >= 0) { lines.push(JSON.parse(pending.slice(0, i))); pending = pending.slice(i + 1); }
  });
  const sock = { ev: new EventEmitter(), user: connection.user, end() {}, groupFetchAllParticipating: async () => ({}) };
  const downloads = [];
  const bridge = startBridge({
    input, output, authDir, mediaDir, logger: stderrLogger('silent'), socketFactory: async () => sock,
    downloadMedia: async (msg) => { downloads.push(msg.key.id); return downloadMedia(msg); },
  });
  const next = async (match) => {
    for (let i = 0; i < 400; i++) {
      const found = lines.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no event matched; got ${JSON.stringify(lines)}`);
  };
  while (!sock.ev.listenerCount('connection.update')) await new Promise((r) => setTimeout(r, 2));
  sock.ev.emit('connection.update', connection.open);
  await next((e) => e.type === 'connected');
  const send = (obj) => input.write(JSON.stringify(obj) + '\n');
  const stop = async () => { input.end(); await bridge.done; };
  return { mediaDir, lines, next, send, sock, downloads, stop };
}

test('download: the file lands in the media dir under a random name, owner-only, and the ack names it', async () => {
  const bytes = Buffer.from('\xff\xd8\xff\xe0 a jpeg of sorts', 'latin1');
  const h = await harness(() => Readable.from([bytes.subarray(0, 5), bytes.subarray(5)]));
  h.sock.ev.emit('messages.upsert', media.image_caption);
  const message = await h.next((e) => e.type === 'message');
  h.send({ type: 'download', ref: 'd1', chat_jid: message.chat_jid, id: message.id, max_bytes: 1_000_000 });
  const ack = await h.next((e) => e.ref === 'd1');
  assert.equal(ack.ok, true, ack.error);
  assert.match(ack.file, /^[0-9a-f]{32}$/);
  assert.equal(ack.size, bytes.length);
  assert.deepEqual(await readFile(join(h.mediaDir, ack.file)), bytes);
  assert.equal((await stat(join(h.mediaDir, ack.file))).mode & 0o777, 0o600);
  assert.equal((await stat(h.mediaDir)).mode & 0o777, 0o700);
  await h.stop();
});

test('download: a declared size over the limit is refused without downloading', async () => {
  const h = await harness(() => Readable.from([Buffer.alloc(10)]));
  h.sock.ev.emit('messages.upsert', media.oversized_video);
  const message = await h.next((e) => e.type === 'message');
  h.send({ type: 'download', ref: 'd2', chat_jid: message.chat_jid, id: message.id, max_bytes: 25 * 1024 * 1024 });
  const ack = await h.next((e) => e.ref === 'd2');
  assert.equal(ack.ok, false);
  assert.match(ack.error, /too large: the sender's app declares 104857600 bytes; the limit is 26214400/);
  assert.deepEqual(h.downloads, []);
  await h.stop();
});

test('download: bytes beyond the limit (the declared size lied) stop the stream and leave no file', async () => {
  const h = await harness(() => Readable.from((function* () { for (let i = 0; i < 200; i++) yield Buffer.alloc(100); })()));
  h.sock.ev.emit('messages.upsert', media.voice_note); // declares 12871 bytes
  const message = await h.next((e) => e.type === 'message');
  h.send({ type: 'download', ref: 'd3', chat_jid: message.chat_jid, id: message.id, max_bytes: 13000 });
  const ack = await h.next((e) => e.ref === 'd3');
  assert.equal(ack.ok, false);
  assert.match(ack.error, /more than 13000 bytes arrived/);
  assert.deepEqual(await readdir(h.mediaDir), []);
  await h.stop();
});

test('download: an id never seen, or seen in another chat, is refused', async () => {
  const h = await harness(() => Readable.from([Buffer.alloc(1)]));
  h.sock.ev.emit('messages.upsert', media.image_caption);
  await h.next((e) => e.type === 'message');
  h.send({ type: 'download', ref: 'd4', chat_jid: '4915112345678@s.whatsapp.net', id: '3EB0IMG0001', max_bytes: 10 });
  h.send({ type: 'download', ref: 'd5', chat_jid: '120363025246125888@g.us', id: 'NOPE', max_bytes: 10 });
  assert.match((await h.next((e) => e.ref === 'd4')).error, /no media message/);
  assert.match((await h.next((e) => e.ref === 'd5')).error, /no media message/);
  assert.deepEqual(h.downloads, []);
  await h.stop();
});
