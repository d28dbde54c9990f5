#!/usr/bin/env node
// The WhatsApp sidecar: holds one Baileys connection and nothing else. Commands arrive on stdin and events leave on
// stdout, one JSON object per line (docs/whatsapp-bridge.md); stderr carries logs only. All decisions live in the host.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { Translator, closeEvent, mediaOf, parseCommand, refused, toSocketCall } from './translate.js';

export const MAX_LINE_BYTES = 1024 * 1024;
const COMMAND_TIMEOUT_MS = 30_000;
export const DOWNLOAD_TIMEOUT_MS = 120_000;
const PAIR_WAIT_MS = 30_000;
const RECONNECT_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000];
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];

/** A logger shaped like the pino logger Baileys expects, writing JSON lines to stderr (stdout is the protocol). */
export function stderrLogger(level = 'warn', bindings = {}, write = (s) => process.stderr.write(s)) {
  const min = LEVELS.indexOf(level);
  const logger = { level, child: (more) => stderrLogger(level, { ...bindings, ...more }, write) };
  for (const name of LEVELS.slice(0, 5)) {
    logger[name] = (obj, msg) => {
      if (LEVELS.indexOf(name) < min) return;
      const fields = obj instanceof Error ? { err: obj.message } : typeof obj === 'object' ? obj : { msg: obj };
      let line;
      try { line = JSON.stringify({ level: name, ...bindings, ...fields, ...(msg ? { msg } : {}) }); }
      catch { line = JSON.stringify({ level: name, msg: msg ?? String(obj) }); }
      write(line + '\n');
    };
  }
  return logger;
}

/** The real socket: Baileys with its multi-file auth state in authDir. Tests inject a fake factory instead. */
export async function baileysSocketFactory({ authDir, logger }) {
  const { default: makeWASocket, useMultiFileAuthState, makeCacheableSignalKeyStore, Browsers } = await import('baileys');
  const { state, saveCreds } = await useMultiFileAuthState(authDir);
  const sock = makeWASocket({
    auth: { creds: state.creds, keys: makeCacheableSignalKeyStore(state.keys, logger) },
    logger,
    browser: Browsers.macOS('Desktop'),
    markOnlineOnConnect: false, // the owner's phone keeps getting notifications
    syncFullHistory: false,
  });
  sock.ev.on('creds.update', saveCreds);
  return sock;
}

/** The real download: Baileys' own helper, as a stream (it asks the sender's phone to re-upload an expired file). */
export async function baileysDownload(msg, sock, logger) {
  const { downloadMediaMessage } = await import('baileys');
  return downloadMediaMessage(msg, 'stream', {}, { logger, reuploadRequest: sock.updateMediaMessage });
}

class TooLarge extends Error {}

/** Auth state holds the account's keys: owner-only directory and files. */
async function secureAuthDir(authDir) {
  await mkdir(authDir, { recursive: true, mode: 0o700 });
  await chmod(authDir, 0o700);
  for (const name of await readdir(authDir)) await chmod(join(authDir, name), 0o600);
}

/**
 * Runs the bridge on the given streams. Returns { done } which resolves with the exit code once the bridge stops
 * (stdin closed, or a disconnect it will not recover from).
 */
export function startBridge({ input, output, authDir, socketFactory = baileysSocketFactory, logger = stderrLogger(),
  reconnectDelays = RECONNECT_DELAYS_MS, commandTimeoutMs = COMMAND_TIMEOUT_MS, pairWaitMs = PAIR_WAIT_MS,
  mediaDir = null, downloadMedia = baileysDownload, downloadTimeoutMs = DOWNLOAD_TIMEOUT_MS } = {}) {
  const translator = new Translator();
  let sock = null; // the current socket; events from older ones are ignored
  let open = false;
  let attempt = 0;
  let stopped = false;
  let reconnectTimer = null;
  let qrSeen = null; // { promise, resolve } for the current socket's first QR (pairing needs that moment)
  let queue = Promise.resolve();
  const downloads = new Set(); // running `download` commands (outside the queue)
  let finish;
  const done = new Promise((resolve) => { finish = resolve; });

  const emit = (event) => output.write(JSON.stringify(event) + '\n');

  function stop(code) {
    if (stopped) return;
    stopped = true;
    clearTimeout(reconnectTimer);
    const last = sock;
    sock = null;
    Promise.resolve().then(() => last?.end?.(undefined)).catch(() => {});
    Promise.allSettled([queue, ...downloads]).finally(() => finish(code));
  }

  async function connect() {
    if (stopped) return;
    let resolveQr;
    qrSeen = { promise: new Promise((r) => { resolveQr = r; }), resolve: () => resolveQr() };
    let current;
    try {
      await secureAuthDir(authDir);
      current = await socketFactory({ authDir, logger });
    } catch (e) {
      emit({ type: 'error', message: `could not start the WhatsApp socket: ${e.message}` });
      return scheduleReconnect();
    }
    if (stopped) return void current.end?.(undefined);
    sock = current;
    const on = (name, handler) => current.ev.on(name, (data) => {
      if (sock !== current) return;
      try { handler(data); } catch (e) { logger.error({ err: e.message, event: name }, 'event handling failed'); }
    });
    on('connection.update', (update) => onConnectionUpdate(current, update));
    on('messages.upsert', (upsert) => translator.messagesUpsert(upsert).forEach(emit));
    on('groups.upsert', (groups) => translator.groupUpdates(groups).forEach(emit));
    on('groups.update', (groups) => translator.groupUpdates(groups).forEach(emit));
    on('lid-mapping.update', ({ lid, pn }) => translator.learnMapping(lid, pn));
    on('contacts.upsert', (contacts) => translator.learnContacts(contacts));
    on('contacts.update', (contacts) => translator.learnContacts(contacts));
    on('messaging-history.set', ({ contacts, lidPnMappings }) => {
      translator.learnContacts(contacts);
      for (const m of lidPnMappings ?? []) translator.learnMapping(m.lid, m.pn);
    });
  }

  function onConnectionUpdate(current, update) {
    if (update.qr) qrSeen.resolve();
    for (const event of translator.connectionUpdate(update, current.user)) emit(event);
    if (update.connection === 'open') {
      open = true;
      attempt = 0;
      syncGroups().catch((e) => logger.warn({ err: e.message }, 'group sync after connect failed'));
    }
    if (update.connection === 'close') {
      open = false;
      const { reason, will_reconnect: again } = closeEvent(update.lastDisconnect?.error);
      sock = null;
      if (again) return scheduleReconnect(reason === 'restart_required' ? 0 : undefined);
      if (reason === 'logged_out') {
        // The keys are dead: remove them so the next start shows a fresh QR instead of failing again.
        return void clearAuthDir()
          .catch((e) => logger.error({ err: e.message }, 'could not clear the auth directory'))
          .finally(() => stop(0));
      }
      stop(2);
    }
  }

  function scheduleReconnect(delay) {
    if (stopped) return;
    const ms = delay ?? reconnectDelays[Math.min(attempt, reconnectDelays.length - 1)];
    attempt++;
    logger.info({ ms, attempt }, 'reconnecting');
    reconnectTimer = setTimeout(connect, ms);
  }

  async function clearAuthDir() {
    for (const name of await readdir(authDir)) await rm(join(authDir, name), { recursive: true, force: true });
  }

  async function syncGroups() {
    const all = await sock.groupFetchAllParticipating();
    emit(translator.groupsEvent(all));
  }

  /** Runs one valid command against the socket; the caller turns the outcome into the command's single ack. */
  async function run(command) {
    if (command.type === 'pair') return pair(command);
    if (!sock || !open) throw new Error('not connected to WhatsApp (wait for a connected event)');
    if (command.type === 'sync_groups') return syncGroups();
    const { method, args } = toSocketCall(command, translator);
    const result = await sock[method](...args);
    if ((command.type === 'send' || command.type === 'send_file') && result?.key?.id) return { id: result.key.id };
  }

  async function pair(command) {
    if (open) throw new Error('already paired and connected (logout first to pair another phone)');
    if (!sock) throw new Error('no socket yet: the bridge is (re)connecting, try again shortly');
    if (sock.authState?.creds?.registered) throw new Error('this auth directory is already paired');
    const current = sock;
    const waited = await Promise.race([qrSeen.promise.then(() => true), delay(pairWaitMs).then(() => false)]);
    if (!waited || sock !== current) throw new Error('WhatsApp did not get ready for pairing; try again');
    const { method, args } = toSocketCall(command, translator);
    const code = await current[method](...args);
    emit({ type: 'pairing_code', code });
  }

  /**
   * Downloads one remembered media message into mediaDir under a random name (never one from the message), checking
   * the declared size first and the bytes while they stream. Returns { file, size } for the ack.
   */
  async function download(command, signal) {
    if (!mediaDir) throw new Error('media downloads are off: the bridge was started without --media-dir');
    if (!sock || !open) throw new Error('not connected to WhatsApp (wait for a connected event)');
    const msg = translator.mediaMessage(command.chat_jid, command.id);
    if (!msg) throw new Error(`no media message ${command.id} in ${command.chat_jid} is remembered (too old, or never seen)`);
    const declared = mediaOf(msg.message)?.size;
    if (declared !== undefined && declared > command.max_bytes) {
      logger.warn({ id: command.id, declared, limit: command.max_bytes }, 'media refused: declared size over the limit');
      throw new Error(`too large: the sender's app declares ${declared} bytes; the limit is ${command.max_bytes}`);
    }
    const name = randomUUID().replaceAll('-', '');
    const part = join(mediaDir, `${name}.part`);
    let size = 0;
    const limiter = new Transform({
      transform(chunk, _encoding, callback) {
        size += chunk.length;
        if (size > command.max_bytes) callback(new TooLarge(`too large: more than ${command.max_bytes} bytes arrived (the limit)`));
        else callback(null, chunk);
      },
    });
    try {
      const stream = await downloadMedia(msg, sock, logger);
      await pipeline(stream, limiter, createWriteStream(part, { flags: 'wx', mode: 0o600 }), { signal });
      await rename(part, join(mediaDir, name));
    } catch (e) {
      await rm(part, { force: true });
      if (e instanceof TooLarge) logger.warn({ id: command.id, limit: command.max_bytes }, 'media refused: bytes over the limit');
      throw signal.aborted ? new Error('download timed out') : e;
    }
    return { file: name, size };
  }

  /** Downloads run beside the command queue: a slow 25 MB file must not hold up replies. */
  function startDownload(command) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), downloadTimeoutMs);
    const running = download(command, abort.signal)
      .then((extra) => emit({ type: 'ack', ref: command.ref, ok: true, ...extra }))
      .catch((e) => emit(refused(command.ref, e?.message || String(e))))
      .finally(() => clearTimeout(timer));
    downloads.add(running);
    running.finally(() => downloads.delete(running));
  }

  function handleLine(line) {
    if (line.trim() === '') return;
    const parsed = parseCommand(line);
    if (parsed.error) return emit(parsed.error);
    if (parsed.ack) return emit(parsed.ack);
    const command = parsed.command;
    if (command.type === 'download') return startDownload(command);
    // One at a time, in arrival order: two sends to a chat arrive in the order the host wrote them.
    queue = queue.then(async () => {
      try {
        const extra = await withTimeout(run(command), commandTimeoutMs, `${command.type} timed out`);
        emit({ type: 'ack', ref: command.ref, ok: true, ...(extra ?? {}) });
      } catch (e) {
        emit(refused(command.ref, e?.message || String(e)));
      }
    });
  }

  // stdin: split into lines by hand so one enormous line cannot grow the buffer without bound.
  let buffer = '';
  let discarding = false;
  input.setEncoding?.('utf8');
  input.on('data', (chunk) => {
    buffer += chunk;
    let newline;
    while ((newline = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (discarding) { discarding = false; continue; }
      handleLine(line);
    }
    if (Buffer.byteLength(buffer) > MAX_LINE_BYTES) {
      if (!discarding) emit({ type: 'error', message: `command line longer than ${MAX_LINE_BYTES} bytes; ignored` });
      discarding = true;
      buffer = '';
    }
  });
  input.on('end', () => {
    if (buffer && !discarding) handleLine(buffer);
    stop(0); // the host went away: nobody is listening
  });

  if (mediaDir) mkdir(mediaDir, { recursive: true, mode: 0o700 }).then(() => chmod(mediaDir, 0o700)).catch((e) => logger.error({ err: e.message }, 'cannot create the media directory'));
  connect();
  return { done };
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref?.());

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(message)), ms); });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function parseArgs(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    if (flag === '--auth-dir' || flag === '--log-level' || flag === '--media-dir') args[flag.slice(2)] = inline ?? argv[++i];
    else throw new Error(`unknown argument: ${argv[i]}`);
  }
  if (!args['auth-dir']) throw new Error('--auth-dir <directory> is required');
  if (args['log-level'] && !LEVELS.includes(args['log-level'])) throw new Error(`--log-level: one of ${LEVELS}`);
  return args;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e.message}\nusage: bridge.js --auth-dir <directory> [--media-dir <directory>] [--log-level warn]\n`);
    process.exit(64);
  }
  process.umask(0o077); // every file Baileys writes into the auth directory is owner-only
  const { done } = startBridge({
    input: process.stdin, output: process.stdout, authDir: args['auth-dir'], logger: stderrLogger(args['log-level']),
    mediaDir: args['media-dir'] ?? null,
  });
  const code = await done;
  process.stdout.write('', () => process.exit(code));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
