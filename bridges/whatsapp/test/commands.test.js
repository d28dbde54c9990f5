import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TEXT_BYTES, Translator, parseCommand, toSocketCall } from '../translate.js';

const line = (obj) => JSON.stringify(obj);

test('valid commands parse and map to socket calls', () => {
  const t = new Translator();
  const cases = [
    [{ type: 'send', ref: '1', chat_jid: '4915112345678@s.whatsapp.net', text: 'hi' },
      { method: 'sendMessage', args: ['4915112345678@s.whatsapp.net', { text: 'hi' }] }],
    [{ type: 'typing', ref: '2', chat_jid: '120363025246125888@g.us', on: true },
      { method: 'sendPresenceUpdate', args: ['composing', '120363025246125888@g.us'] }],
    [{ type: 'typing', ref: '3', chat_jid: '120363025246125888@g.us', on: false },
      { method: 'sendPresenceUpdate', args: ['paused', '120363025246125888@g.us'] }],
    [{ type: 'mark_read', ref: '4', chat_jid: '4915112345678@s.whatsapp.net', message_ids: ['A'] },
      { method: 'readMessages', args: [[{ remoteJid: '4915112345678@s.whatsapp.net', id: 'A', fromMe: false }]] }],
    [{ type: 'sync_groups', ref: '5' }, { method: 'groupFetchAllParticipating', args: [] }],
    [{ type: 'logout', ref: '6' }, { method: 'logout', args: [] }],
    [{ type: 'pair', ref: '7', phone: '+49 151 1234-5678' }, { method: 'requestPairingCode', args: ['4915112345678'] }],
  ];
  for (const [command, call] of cases) {
    const parsed = parseCommand(line(command));
    assert.deepEqual(parsed, { command }, command.type);
    assert.deepEqual(toSocketCall(parsed.command, t), call, command.type);
  }
});

test('malformed lines are error events, not acks', () => {
  for (const bad of ['{not json', '[1,2]', '"send"', 'null', '42']) {
    const parsed = parseCommand(bad);
    assert.equal(parsed.error?.type, 'error', bad);
    assert.match(parsed.error.message, /malformed/);
  }
});

test('a missing ref is refused with an ack whose ref is null', () => {
  for (const command of [{ type: 'send', chat_jid: 'x@g.us', text: 'x' }, { type: 'logout', ref: '' }, { type: 'logout', ref: 7 },
    { type: 'logout', ref: 'r'.repeat(129) }]) {
    const { ack } = parseCommand(line(command));
    assert.equal(ack.type, 'ack');
    assert.equal(ack.ref, null);
    assert.equal(ack.ok, false);
    assert.match(ack.error, /ref/);
  }
});

test('an unknown command is refused by ref', () => {
  assert.deepEqual(parseCommand(line({ type: 'explode', ref: 'r1' })),
    { ack: { type: 'ack', ref: 'r1', ok: false, error: 'unknown command: "explode"' } });
  assert.match(parseCommand(line({ ref: 'r2' })).ack.error, /unknown command: null/);
  assert.match(parseCommand(line({ type: 'toString', ref: 'r3' })).ack.error, /unknown command/);
});

test('text over 64 KB (UTF-8 bytes) is refused; exactly 64 KB is accepted', () => {
  const jid = '4915112345678@s.whatsapp.net';
  assert.ok(parseCommand(line({ type: 'send', ref: 'a', chat_jid: jid, text: 'x'.repeat(MAX_TEXT_BYTES) })).command);
  const { ack } = parseCommand(line({ type: 'send', ref: 'b', chat_jid: jid, text: 'x'.repeat(MAX_TEXT_BYTES + 1) }));
  assert.equal(ack.ok, false);
  assert.match(ack.error, /65537 bytes; the limit is 65536/);
  // 22000 three-byte characters: under 64 K characters but over 64 KB.
  assert.equal(parseCommand(line({ type: 'send', ref: 'c', chat_jid: jid, text: '€'.repeat(22000) })).ack.ok, false);
});

test('field validation names the problem', () => {
  const cases = [
    [{ type: 'send', ref: 'a', chat_jid: 'alice', text: 'hi' }, /chat_jid/],
    [{ type: 'send', ref: 'a', chat_jid: 'status@broadcast', text: 'hi' }, /chat_jid/],
    [{ type: 'send', ref: 'a', chat_jid: '1@s.whatsapp.net', text: '  ' }, /text/],
    [{ type: 'send', ref: 'a', chat_jid: '1@s.whatsapp.net' }, /text/],
    [{ type: 'typing', ref: 'a', chat_jid: '1@s.whatsapp.net', on: 'yes' }, /on must be/],
    [{ type: 'mark_read', ref: 'a', chat_jid: '1@s.whatsapp.net', message_ids: [] }, /message_ids/],
    [{ type: 'mark_read', ref: 'a', chat_jid: '1@s.whatsapp.net', message_ids: Array(101).fill('x') }, /message_ids/],
    [{ type: 'pair', ref: 'a', phone: '12' }, /phone/],
    [{ type: 'pair', ref: 'a', phone: 'call me' }, /phone/],
  ];
  for (const [command, pattern] of cases) {
    const { ack } = parseCommand(line(command));
    assert.equal(ack?.ok, false, JSON.stringify(command));
    assert.equal(ack.ref, 'a');
    assert.match(ack.error, pattern);
  }
});

test('send_file maps to sendMessage with an image or a document read from the host\'s path', () => {
  const t = new Translator();
  const jid = '120363025246125888@g.us';
  const image = { type: 'send_file', ref: 'f1', chat_jid: jid, path: '/home/u/.nanoclaw/data/outbox-files/ab12.png', kind: 'image',
    mimetype: 'image/png', file_name: 'image-20261206-230101.png', caption: 'Andy: the chart' };
  assert.deepEqual(parseCommand(line(image)), { command: image });
  assert.deepEqual(toSocketCall(image, t),
    { method: 'sendMessage', args: [jid, { image: { url: image.path }, mimetype: 'image/png', caption: 'Andy: the chart' }] });

  const doc = { ...image, ref: 'f2', path: '/spool/cd34.pdf', kind: 'document', mimetype: 'application/pdf', file_name: 'file-20261206-230101.pdf', caption: '' };
  assert.deepEqual(parseCommand(line(doc)), { command: doc });
  assert.deepEqual(toSocketCall(doc, t),
    { method: 'sendMessage', args: [jid, { document: { url: '/spool/cd34.pdf' }, mimetype: 'application/pdf', fileName: 'file-20261206-230101.pdf' }] });
});

test('a malformed send_file is refused with the reason', () => {
  const ok = { type: 'send_file', ref: 'f', chat_jid: '1@s.whatsapp.net', path: '/spool/a.png', kind: 'image', mimetype: 'image/png', file_name: 'a.png', caption: '' };
  for (const [change, reason] of [
    [{ path: 'relative/a.png' }, /path/],
    [{ path: '/spool/../etc/passwd' }, /path/],
    [{ kind: 'sticker' }, /kind/],
    [{ mimetype: 'image/png; x=1' }, /mimetype/],
    [{ file_name: '../../a.png' }, /file_name/],
    [{ file_name: 'a/b.png' }, /file_name/],
    [{ caption: undefined }, /caption/],
    [{ caption: 'x'.repeat(MAX_TEXT_BYTES + 1) }, /caption/],
  ]) {
    const { ack } = parseCommand(line({ ...ok, ...change }));
    assert.equal(ack?.ok, false, JSON.stringify(change));
    assert.match(ack.error, reason);
  }
});
