import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Translator, closeEvent, normalizeJid, toIsoTimestamp } from '../translate.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const messages = fixture('messages');
const connection = fixture('connection');
const groups = fixture('groups');
const onlyMessages = (events) => events.filter((e) => e.type === 'message');

function connected() {
  const t = new Translator();
  t.connectionUpdate(connection.open, connection.user);
  return t;
}

test('plain text in a direct chat becomes a message, preceded by a chat event the first time', () => {
  const t = connected();
  const events = t.messagesUpsert(messages.text_dm);
  assert.deepEqual(events, [
    { type: 'chat', jid: '4915112345678@s.whatsapp.net', name: 'Alice', is_group: false },
    {
      type: 'message', id: '3EB0A1B2C3D4E5F60718', chat_jid: '4915112345678@s.whatsapp.net',
      sender_jid: '4915112345678@s.whatsapp.net', sender_name: 'Alice', text: 'hello there',
      timestamp: '2024-11-24T08:00:00.000Z', is_from_me: false,
    },
  ]);
  assert.deepEqual(t.messagesUpsert(messages.text_dm).map((e) => e.type), ['message'], 'chat announced once');
});

test('extended text in a group: LID sender mapped to its phone jid, quoted message kept as context', () => {
  const t = connected();
  t.groupUpdates(Object.values(groups));
  const [message] = onlyMessages(t.messagesUpsert(messages.extended_group_reply_lid));
  assert.equal(message.chat_jid, '120363025246125888@g.us');
  assert.equal(message.sender_jid, '4915187654321@s.whatsapp.net');
  assert.equal(message.sender_name, 'Bob');
  assert.equal(message.text, '@Andy what do you think?');
  assert.equal(message.timestamp, '2024-11-24T08:01:00.000Z', 'Long-like timestamp');
  // The quoted author's LID is known from the group's participant list.
  assert.deepEqual(message.quoted, { id: '3EB0FFEEDDCCBBAA0011', sender_jid: '4915111111111@s.whatsapp.net', text: 'Dinner at 8?' });
});

test('a LID without a known mapping stays a LID', () => {
  const t = new Translator();
  const upsert = structuredClone(messages.extended_group_reply_lid);
  delete upsert.messages[0].key.participantAlt;
  const [message] = onlyMessages(t.messagesUpsert(upsert));
  assert.equal(message.sender_jid, '187654321098765@lid');
  assert.equal(message.quoted.sender_jid, '111111111111111@lid');
});

test('group chat events carry the group name once it is known', () => {
  const t = connected();
  const family = { type: 'chat', jid: '120363025246125888@g.us', name: 'Family Chat', is_group: true };
  assert.deepEqual(t.groupUpdates([groups['120363025246125888@g.us']]), [family]);
  assert.deepEqual(t.messagesUpsert(messages.extended_group_reply_lid).map((e) => e.type), ['message'], 'already announced');
  assert.deepEqual(t.groupUpdates([{ id: '120363025246125888@g.us', subject: 'Family' }]), [{ ...family, name: 'Family' }]);
  // A message in a group seen before its metadata: announced without a name.
  assert.deepEqual(new Translator().messagesUpsert(messages.extended_group_reply_lid)[0], { ...family, name: null });
});

test('image caption inside a disappearing-message wrapper; device suffix dropped from the sender', () => {
  const [message] = onlyMessages(connected().messagesUpsert(messages.image_caption_ephemeral));
  assert.equal(message.text, 'look at this');
  assert.equal(message.sender_jid, '4915100000001@s.whatsapp.net');
  assert.equal(message.timestamp, '2024-11-24T08:01:40.000Z', 'numeric string timestamp');
  assert.equal(message.quoted, undefined);
});

test('video caption', () => {
  const [message] = onlyMessages(connected().messagesUpsert(messages.video_caption));
  assert.equal(message.text, 'the cat');
});

test("the owner's own message in the self-chat (addressed by LID) is from me, in the owner's phone chat", () => {
  const t = connected();
  const events = t.messagesUpsert(messages.own_self_chat_lid);
  const [message] = onlyMessages(events);
  assert.equal(message.is_from_me, true);
  assert.equal(message.chat_jid, '4915199999999@s.whatsapp.net');
  assert.equal(message.sender_jid, '4915199999999@s.whatsapp.net');
  assert.equal(message.sender_name, 'Owner');
});

test('status broadcasts, channels, protocol, reaction, stub and empty messages are skipped', () => {
  assert.deepEqual(connected().messagesUpsert(messages.skipped), []);
});

test('mappings learned from lid-mapping.update and contacts', () => {
  const t = new Translator();
  t.learnMapping('123:4@lid', '4915100000009:4@s.whatsapp.net');
  t.learnContacts([{ id: '555@lid', phoneNumber: '4915100000005@s.whatsapp.net' }, { id: '4915100000006@s.whatsapp.net', lid: '666@lid' }]);
  assert.equal(t.toPhoneJid('123@lid'), '4915100000009@s.whatsapp.net');
  assert.equal(t.toPhoneJid('555:2@lid'), '4915100000005@s.whatsapp.net');
  assert.equal(t.toPhoneJid('666@lid'), '4915100000006@s.whatsapp.net');
  assert.equal(t.toPhoneJid('777@lid'), '777@lid');
});

test('connection updates: qr, connected with phone jid and lid', () => {
  const t = new Translator();
  assert.deepEqual(t.connectionUpdate(connection.qr), [{ type: 'qr', qr: connection.qr.qr }]);
  assert.deepEqual(t.connectionUpdate(connection.open, connection.user),
    [{ type: 'connected', jid: '4915199999999@s.whatsapp.net', lid: '99887766554433@lid', name: 'Owner' }]);
  assert.equal(t.toPhoneJid('99887766554433@lid'), '4915199999999@s.whatsapp.net');
});

test('close reasons and whether the bridge reconnects', () => {
  const t = new Translator();
  const pick = (u) => t.connectionUpdate(u).map(({ reason, will_reconnect }) => [reason, will_reconnect])[0];
  assert.deepEqual(pick(connection.close_logged_out), ['logged_out', false]);
  assert.deepEqual(pick(connection.close_replaced), ['replaced', false]);
  assert.deepEqual(pick(connection.close_lost), ['connection_lost', true]);
  assert.deepEqual(pick(connection.close_restart), ['restart_required', true]);
  assert.deepEqual(pick(connection.close_unknown), ['unknown', true]);
  assert.deepEqual(closeEvent(undefined), { type: 'closed', reason: 'unknown', will_reconnect: true });
  assert.equal(t.connectionUpdate(connection.close_lost)[0].status_code, 428);
});

test('groupFetchAllParticipating result -> groups event sorted by name', () => {
  assert.deepEqual(new Translator().groupsEvent(groups), {
    type: 'groups',
    groups: [{ jid: '120363099999999999@g.us', name: 'Book Club' }, { jid: '120363025246125888@g.us', name: 'Family Chat' }],
  });
});

test('timestamps: number, Long-like, toNumber(), bigint, string; missing falls back to now', () => {
  const iso = '2024-11-24T08:00:00.000Z';
  assert.equal(toIsoTimestamp(1732435200), iso);
  assert.equal(toIsoTimestamp({ low: 1732435200, high: 0, unsigned: true }), iso);
  assert.equal(toIsoTimestamp({ toNumber: () => 1732435200 }), iso);
  assert.equal(toIsoTimestamp(1732435200n), iso);
  assert.equal(toIsoTimestamp('1732435200'), iso);
  assert.equal(toIsoTimestamp(undefined, () => new Date(iso)), iso);
});

test('jid normalization', () => {
  assert.equal(normalizeJid('4915112345678:12@s.whatsapp.net'), '4915112345678@s.whatsapp.net');
  assert.equal(normalizeJid('4915112345678@c.us'), '4915112345678@s.whatsapp.net');
  assert.equal(normalizeJid('120363025246125888@g.us'), '120363025246125888@g.us');
  assert.equal(normalizeJid('nope'), null);
});

test('read receipts use the full key remembered from the message (groups need the participant)', () => {
  const t = connected();
  t.messagesUpsert(messages.extended_group_reply_lid);
  assert.deepEqual(t.readKeys('120363025246125888@g.us', ['ABCDEF0123456789', 'UNSEEN']), [
    { remoteJid: '120363025246125888@g.us', id: 'ABCDEF0123456789', fromMe: false, participant: '187654321098765@lid' },
    { remoteJid: '120363025246125888@g.us', id: 'UNSEEN', fromMe: false },
  ]);
});
