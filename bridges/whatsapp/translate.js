// Pure translation between Baileys' event shapes and the bridge protocol (docs/whatsapp-bridge.md).
// No socket, no I/O: everything here is testable with plain objects.

export const MAX_TEXT_BYTES = 64 * 1024;
export const MAX_REF_LENGTH = 128;
export const MAX_MARK_READ_IDS = 100;
export const MAX_MEDIA_REMEMBERED = 500; // media messages kept for a later `download`; oldest forgotten first
const MAX_REMEMBERED = 5000; // LID mappings and message keys kept; oldest forgotten first

// Baileys' DisconnectReason status codes -> protocol reason and whether the bridge reconnects by itself.
const CLOSE_REASONS = new Map([
  [401, ['logged_out', false]],
  [403, ['forbidden', false]],
  [408, ['connection_lost', true]],
  [411, ['multidevice_mismatch', false]],
  [428, ['connection_lost', true]],
  [440, ['replaced', false]],
  [500, ['bad_session', true]],
  [503, ['unavailable_service', true]],
  [515, ['restart_required', true]],
]);

// Wrappers whose payload is another message ("disappearing", "view once", documents with captions).
const WRAPPERS = ['ephemeralMessage', 'viewOnceMessage', 'viewOnceMessageV2', 'viewOnceMessageV2Extension',
  'documentWithCaptionMessage'];
const SKIPPED_KINDS = ['protocolMessage', 'reactionMessage', 'senderKeyDistributionMessage', 'pollUpdateMessage',
  'encReactionMessage', 'keepInChatMessage', 'pinInChatMessage'];

/** "123:4@s.whatsapp.net" -> "123@s.whatsapp.net" (device and agent dropped; c.us is the old PN server). */
export function normalizeJid(jid) {
  if (typeof jid !== 'string' || !jid.includes('@')) return null;
  const at = jid.lastIndexOf('@');
  let server = jid.slice(at + 1);
  const user = jid.slice(0, at).split(':')[0].split('_')[0];
  if (server === 'c.us') server = 's.whatsapp.net';
  return user ? `${user}@${server}` : server;
}

export const isGroupJid = (jid) => typeof jid === 'string' && jid.endsWith('@g.us');
export const isLidJid = (jid) => typeof jid === 'string' && jid.endsWith('@lid');
export const isPnJid = (jid) => typeof jid === 'string' && jid.endsWith('@s.whatsapp.net');
/** Status updates, broadcast lists and channels are never conversations the assistant joins. */
const isIgnoredChat = (jid) => jid.endsWith('@broadcast') || jid.endsWith('@newsletter');

/** messageTimestamp (seconds) as a number, bigint, numeric string or protobuf Long ({low, high}) -> ISO string. */
export function toIsoTimestamp(value, now = () => new Date()) {
  let seconds = null;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'bigint') seconds = Number(value);
  else if (typeof value === 'string' && /^\d+$/.test(value)) seconds = Number(value);
  else if (value && typeof value.toNumber === 'function') seconds = value.toNumber();
  else if (value && typeof value.low === 'number') {
    seconds = (value.high >>> 0) * 2 ** 32 + (value.low >>> 0);
  }
  if (!Number.isFinite(seconds) || seconds <= 0) return now().toISOString();
  return new Date(seconds * 1000).toISOString();
}

/** Unwraps nested containers until the real content is reached. */
export function unwrapMessage(message) {
  let m = message;
  for (let depth = 0; m && depth < 5; depth++) {
    const wrapper = WRAPPERS.find((key) => m[key]?.message);
    if (!wrapper) break;
    m = m[wrapper].message;
  }
  return m ?? null;
}

/** The readable text of a message: plain text, extended text, or a media caption. Empty when there is none. */
export function messageText(message) {
  const m = unwrapMessage(message);
  if (!m) return '';
  return (m.conversation ?? m.extendedTextMessage?.text ?? m.imageMessage?.caption ?? m.videoMessage?.caption
    ?? m.documentMessage?.caption ?? '').trim();
}

// Baileys content key -> protocol media kind. A sticker is an image (webp); audio with ptt is a voice note.
const MEDIA_KINDS = [['imageMessage', 'image'], ['stickerMessage', 'image'], ['audioMessage', 'audio'],
  ['videoMessage', 'video'], ['ptvMessage', 'video'], ['documentMessage', 'document']];

/** A protobuf Long ({low, high}), number, numeric string or bigint -> a non-negative safe integer, else null. */
export function toSize(value) {
  let n = null;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'bigint') n = Number(value);
  else if (typeof value === 'string' && /^\d{1,16}$/.test(value)) n = Number(value);
  else if (value && typeof value.toNumber === 'function') n = value.toNumber();
  else if (value && typeof value.low === 'number') n = (value.high >>> 0) * 2 ** 32 + (value.low >>> 0);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

/** The media a message carries: { kind, mime?, size? } (size is what the sender's app declared), or null. */
export function mediaOf(message) {
  const m = unwrapMessage(message);
  if (!m) return null;
  for (const [key, kind] of MEDIA_KINDS) {
    const media = m[key];
    if (!media || typeof media !== 'object') continue;
    const result = { kind: kind === 'audio' && media.ptt ? 'voice' : kind };
    if (typeof media.mimetype === 'string' && media.mimetype.length <= 100) result.mime = media.mimetype;
    const size = toSize(media.fileLength);
    if (size !== null) result.size = size;
    return result;
  }
  return null;
}

function contextInfoOf(message) {
  const m = unwrapMessage(message);
  if (!m) return null;
  for (const value of Object.values(m)) {
    if (value && typeof value === 'object' && value.contextInfo) return value.contextInfo;
  }
  return null;
}

/** A map that forgets its oldest entries past a size. */
class BoundedMap extends Map {
  constructor(limit) { super(); this.limit = limit; }
  set(key, value) {
    this.delete(key);
    super.set(key, value);
    if (this.size > this.limit) this.delete(this.keys().next().value);
    return this;
  }
}

/**
 * Keeps the little state translation needs: who we are, LID -> phone mappings, chat names, and the full keys of
 * recent messages (a read receipt in a group must name the sender).
 */
export class Translator {
  constructor({ now = () => new Date() } = {}) {
    this.now = now;
    this.self = null; // { jid, lid, name }
    this.lidToPn = new BoundedMap(MAX_REMEMBERED);
    this.chatNames = new Map(); // jid -> name last announced with a `chat` event
    this.groupNames = new Map();
    this.keys = new BoundedMap(MAX_REMEMBERED); // message id -> Baileys key
    this.media = new BoundedMap(MAX_MEDIA_REMEMBERED); // message id -> the whole Baileys message, for `download`
  }

  /** The remembered media message with this id in this chat (as the events named it), or null. */
  mediaMessage(chatJid, id) {
    const entry = this.media.get(id);
    return entry && entry.chatJid === chatJid ? entry.msg : null;
  }

  learnMapping(lid, pn) {
    const l = normalizeJid(lid);
    const p = normalizeJid(pn);
    if (isLidJid(l) && isPnJid(p)) this.lidToPn.set(l, p);
  }

  /** A LID address becomes the phone jid when the mapping is known; anything else is only normalized. */
  toPhoneJid(jid) {
    const n = normalizeJid(jid);
    return (isLidJid(n) && this.lidToPn.get(n)) || n;
  }

  /** connection.update -> protocol events. `user` is the socket's user once the connection is open. */
  connectionUpdate(update, user) {
    const events = [];
    if (update.qr) events.push({ type: 'qr', qr: update.qr });
    if (update.connection === 'open') {
      const jid = normalizeJid(user?.id);
      const lid = normalizeJid(user?.lid);
      this.self = { jid, lid, name: user?.name || user?.notify || null };
      if (lid) this.learnMapping(lid, jid);
      const event = { type: 'connected', jid };
      if (lid) event.lid = lid;
      if (this.self.name) event.name = this.self.name;
      events.push(event);
    }
    if (update.connection === 'close') events.push(closeEvent(update.lastDisconnect?.error));
    return events;
  }

  /** lid-mapping.update, contacts and history mappings all carry LID/phone pairs worth remembering. */
  learnContacts(contacts) {
    for (const c of contacts ?? []) {
      if (isLidJid(normalizeJid(c.id)) && c.phoneNumber) this.learnMapping(c.id, c.phoneNumber);
      else if (c.lid) this.learnMapping(c.lid, c.phoneNumber ?? c.id);
    }
  }

  /** Group metadata (groups.upsert/update, groupFetchAllParticipating values) -> `chat` events for new names. */
  groupUpdates(groups) {
    const events = [];
    for (const g of groups ?? []) {
      const jid = normalizeJid(g?.id);
      if (!isGroupJid(jid) || typeof g.subject !== 'string') continue;
      this.groupNames.set(jid, g.subject);
      this.learnParticipants(g.participants);
      events.push(...this.chatEvent(jid, g.subject));
    }
    return events;
  }

  learnParticipants(participants) {
    for (const p of participants ?? []) {
      if (p.lid && p.phoneNumber) this.learnMapping(p.lid, p.phoneNumber);
      else if (isLidJid(normalizeJid(p.id)) && p.phoneNumber) this.learnMapping(p.id, p.phoneNumber);
      else if (p.lid && isPnJid(normalizeJid(p.id))) this.learnMapping(p.lid, p.id);
    }
  }

  /** groupFetchAllParticipating's result -> one `groups` event (sorted by name, then jid). */
  groupsEvent(all) {
    const list = Object.values(all ?? {}).filter((g) => isGroupJid(normalizeJid(g?.id)));
    this.groupUpdates(list);
    const groups = list.map((g) => ({ jid: normalizeJid(g.id), name: g.subject ?? '' }))
      .sort((a, b) => a.name.localeCompare(b.name) || a.jid.localeCompare(b.jid));
    return { type: 'groups', groups };
  }

  chatEvent(jid, name) {
    const known = this.chatNames.get(jid);
    if (this.chatNames.has(jid) && (known === name || !name)) return [];
    this.chatNames.set(jid, name ?? null);
    return [{ type: 'chat', jid, name: name ?? null, is_group: isGroupJid(jid) }];
  }

  /** messages.upsert -> `chat` (first time a chat or its name is seen) and `message` events, in arrival order. */
  messagesUpsert(upsert) {
    const events = [];
    for (const msg of upsert?.messages ?? []) events.push(...this.message(msg));
    return events;
  }

  message(msg) {
    const key = msg?.key;
    if (!key?.remoteJid || !key.id) return [];
    if (key.remoteJidAlt) this.learnMapping(key.remoteJid, key.remoteJidAlt);
    if (key.participant && key.participantAlt) this.learnMapping(key.participant, key.participantAlt);
    const rawChat = normalizeJid(key.remoteJid);
    if (!rawChat || isIgnoredChat(rawChat)) return [];
    const content = unwrapMessage(msg.message);
    if (!content || SKIPPED_KINDS.some((kind) => content[kind])) return [];
    const text = messageText(content);
    const media = mediaOf(content);
    if (!text && !media) return [];

    const chatJid = this.toPhoneJid(rawChat);
    const isGroup = isGroupJid(chatJid);
    const fromMe = Boolean(key.fromMe);
    let sender;
    if (fromMe) sender = this.self?.jid ?? this.toPhoneJid(key.participant ?? rawChat);
    else if (isGroup) sender = this.toPhoneJid(key.participant ?? msg.participant);
    else sender = chatJid;
    if (!sender) return [];
    const senderName = msg.pushName || (fromMe ? this.self?.name : null) || sender.split('@')[0];

    this.keys.set(key.id, { remoteJid: key.remoteJid, id: key.id, fromMe, participant: key.participant });
    const events = isGroup
      ? this.chatEvent(chatJid, this.groupNames.get(chatJid))
      : this.chatEvent(chatJid, fromMe ? undefined : msg.pushName);
    const event = {
      type: 'message',
      id: key.id,
      chat_jid: chatJid,
      sender_jid: sender,
      sender_name: senderName,
      text,
      timestamp: toIsoTimestamp(msg.messageTimestamp, this.now),
      is_from_me: fromMe,
    };
    if (media) {
      // Not downloaded here: the host decides (registered chats only) and asks with `download`.
      event.media = media;
      this.media.set(key.id, { chatJid, msg });
    }
    const ctx = contextInfoOf(content);
    if (ctx?.quotedMessage && ctx.stanzaId) {
      event.quoted = {
        id: ctx.stanzaId,
        sender_jid: this.toPhoneJid(ctx.participant ?? key.remoteJid),
        text: messageText(ctx.quotedMessage),
      };
    }
    events.push(event);
    return events;
  }

  /** The keys readMessages needs: the remembered full key, or a best guess for an id this bridge never saw. */
  readKeys(chatJid, messageIds) {
    return messageIds.map((id) => this.keys.get(id) ?? { remoteJid: chatJid, id, fromMe: false });
  }
}

/** lastDisconnect.error (a Boom with output.statusCode) -> `closed` event. */
export function closeEvent(error) {
  const code = error?.output?.statusCode ?? error?.statusCode;
  const [reason, willReconnect] = CLOSE_REASONS.get(code) ?? ['unknown', true];
  const event = { type: 'closed', reason, will_reconnect: willReconnect };
  if (code !== undefined) event.status_code = code;
  if (error?.message) event.detail = String(error.message);
  return event;
}

// ---- commands ----

const JID = /^[0-9A-Za-z.+_-]{1,64}@(s\.whatsapp\.net|g\.us|lid)$/;
const COMMANDS = {
  send: (c) => checkJid(c.chat_jid) ?? checkText(c.text),
  send_file: (c) => checkJid(c.chat_jid) ?? checkFile(c),
  typing: (c) => checkJid(c.chat_jid) ?? (typeof c.on === 'boolean' ? null : 'on must be true or false'),
  mark_read: (c) => checkJid(c.chat_jid) ?? checkIds(c.message_ids),
  sync_groups: () => null,
  download: (c) => checkJid(c.chat_jid)
    ?? (typeof c.id === 'string' && c.id.length >= 1 && c.id.length <= 128 ? null : 'id must be a string of 1 to 128 characters')
    ?? (Number.isSafeInteger(c.max_bytes) && c.max_bytes > 0 ? null : 'max_bytes must be a positive whole number'),
  logout: () => null,
  pair: (c) => (typeof c.phone === 'string' && /^\d{7,15}$/.test(phoneDigits(c.phone))
    ? null : 'phone must be an international number: 7 to 15 digits, country code first, no leading 0'),
};

export const phoneDigits = (phone) => phone.replace(/[\s+().-]/g, '');

function checkJid(jid) {
  return typeof jid === 'string' && JID.test(jid) ? null
    : 'chat_jid must be a jid like 123@s.whatsapp.net, 123-456@g.us or 123@lid';
}

function checkText(text) {
  if (typeof text !== 'string' || text.trim() === '') return 'text must be a non-empty string';
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes > MAX_TEXT_BYTES ? `text is ${bytes} bytes; the limit is ${MAX_TEXT_BYTES} (split it)` : null;
}

// The host checked and copied the file into its own spool and chose its name; the bridge only makes sure the command is
// well-formed, so a confused host cannot make it read a relative path or send a name with a folder in it.
const MIME = /^(image|application|text|audio|video)\/[a-z0-9][a-z0-9.+-]{0,100}$/;
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$/;

function checkFile(c) {
  if (typeof c.path !== 'string' || !c.path.startsWith('/') || c.path.includes('\0') || c.path.split('/').includes('..')) {
    return 'path must be an absolute path (the host\'s copy of the file)';
  }
  if (c.kind !== 'image' && c.kind !== 'document') return 'kind must be image or document';
  if (typeof c.mimetype !== 'string' || !MIME.test(c.mimetype)) return 'mimetype must be a MIME type like image/png';
  if (typeof c.file_name !== 'string' || !FILE_NAME.test(c.file_name)) return 'file_name must be a plain file name like chart.png';
  if (typeof c.caption !== 'string') return 'caption must be a string (may be empty)';
  const bytes = Buffer.byteLength(c.caption, 'utf8');
  return bytes > MAX_TEXT_BYTES ? `caption is ${bytes} bytes; the limit is ${MAX_TEXT_BYTES}` : null;
}

function checkIds(ids) {
  const ok = Array.isArray(ids) && ids.length >= 1 && ids.length <= MAX_MARK_READ_IDS
    && ids.every((id) => typeof id === 'string' && id.length >= 1 && id.length <= 128);
  return ok ? null : `message_ids must be 1 to ${MAX_MARK_READ_IDS} non-empty strings`;
}

/**
 * One stdin line -> { command } when valid, { ack } when it can be answered (it has a ref, or lacks one),
 * or { error } when it is not a JSON object at all.
 */
export function parseCommand(line) {
  let value;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { error: { type: 'error', message: `malformed command line (not JSON): ${e.message}` } };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { error: { type: 'error', message: 'malformed command line: expected a JSON object' } };
  }
  const { ref, type } = value;
  if (typeof ref !== 'string' || ref.length === 0 || ref.length > MAX_REF_LENGTH) {
    return { ack: refused(null, `missing or invalid ref: a string of 1 to ${MAX_REF_LENGTH} characters`) };
  }
  if (!Object.hasOwn(COMMANDS, type)) {
    return { ack: refused(ref, `unknown command: ${JSON.stringify(type ?? null)}`) };
  }
  const problem = COMMANDS[type](value);
  return problem ? { ack: refused(ref, problem) } : { command: value };
}

export const refused = (ref, error) => ({ type: 'ack', ref, ok: false, error });

/** A valid command -> the Baileys socket method and its arguments (sync_groups, logout, pair: bridge.js). */
export function toSocketCall(command, translator) {
  switch (command.type) {
    case 'send':
      return { method: 'sendMessage', args: [command.chat_jid, { text: command.text }] };
    case 'send_file': {
      // Baileys reads the file from the path itself (streamed, not loaded whole) and uploads it encrypted.
      const caption = command.caption === '' ? undefined : command.caption;
      const content = command.kind === 'image'
        ? { image: { url: command.path }, mimetype: command.mimetype, caption }
        : { document: { url: command.path }, mimetype: command.mimetype, fileName: command.file_name, caption };
      if (caption === undefined) delete content.caption;
      return { method: 'sendMessage', args: [command.chat_jid, content] };
    }
    case 'typing':
      return { method: 'sendPresenceUpdate', args: [command.on ? 'composing' : 'paused', command.chat_jid] };
    case 'mark_read':
      return { method: 'readMessages', args: [translator.readKeys(command.chat_jid, command.message_ids)] };
    case 'sync_groups':
      return { method: 'groupFetchAllParticipating', args: [] };
    case 'logout':
      return { method: 'logout', args: [] };
    case 'pair':
      return { method: 'requestPairingCode', args: [phoneDigits(command.phone)] };
    default:
      throw new Error(`no socket call for ${command.type}`);
  }
}
