// A stand-in for WhatsApp's servers and the real sidecar (bridges/whatsapp/bridge.js), for the host's tests only.
// It speaks the sidecar's stdio protocol (docs/whatsapp-bridge.md) from a script instead of a Baileys socket:
//   node scripted-bridge.mjs --auth-dir DIR --script SCRIPT.json --record COMMANDS.jsonl
// SCRIPT.json: {"lives": [{"events": [...], "on_send": "ack"|"crash", "groups": [...]?, "after_pair": [...]?}, ...]}.
// Each start is one "life" (counted in DIR/lives); life N plays lives[N] (the last one repeats). The raw lines are
// written as given, so a script can include malformed ones, except two directives: "@wait FILE" pauses until FILE
// (next to SCRIPT.json) exists (the test decides when, e.g. when WhatsApp comes back), "@sleep MS" and "@hex HEX" (writes
// those raw bytes and a newline, e.g. invalid UTF-8). The environment it was started with is written to DIR/env.json. Every stdin line is appended to
// COMMANDS.jsonl as {"life": N, "line": "..."}. on_send "crash" exits with code 1 on a send without acking it;
// "ack" acks it with a fresh id and echoes it back as the owner's message, as the real sidecar does.
// sync_groups answers with a groups event of "groups"; pair with a pairing_code, its ack, then "after_pair";
// logout acks, reports closed/logged_out, empties DIR and exits 0, as the real sidecar does.
// download (with --media-dir DIR) plays the life's "downloads"[id]: {write?: {name, hex}, symlink?: {name, target}, ack: {...}}:
// it writes the file (or a symlink) into DIR, then acks with the given fields (a real or a hostile answer); no entry: refused.
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const authDir = arg('--auth-dir'), scriptPath = arg('--script'), recordPath = arg('--record'), mediaDir = arg('--media-dir');
if (!authDir || !scriptPath || !recordPath) { process.stderr.write('usage: --auth-dir DIR --script FILE --record FILE\n'); process.exit(64); }

mkdirSync(authDir, { recursive: true });
const livesFile = join(authDir, 'lives');
let life = 0;
try { life = readFileSync(livesFile, 'utf8').length; } catch { /* first life */ }
appendFileSync(livesFile, 'x');
writeFileSync(join(authDir, 'env.json'), JSON.stringify(process.env));
const script = JSON.parse(readFileSync(scriptPath, 'utf8'));
const plan = script.lives[Math.min(life, script.lives.length - 1)];
const owner = '4915199999999@s.whatsapp.net';
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

async function play(lines) {
  for (const line of lines ?? []) {
    if (line.startsWith('@wait ')) { while (!existsSync(resolve(dirname(scriptPath), line.slice(6)))) await delay(20); continue; }
    if (line.startsWith('@sleep ')) { await delay(Number(line.slice(7))); continue; }
    if (line.startsWith('@hex ')) { process.stdout.write(Buffer.concat([Buffer.from(line.slice(5), 'hex'), Buffer.from('\n')])); continue; }
    process.stdout.write(line + '\n');
  }
}

process.stderr.write(JSON.stringify({ level: 'info', msg: `scripted sidecar life ${life}` }) + '\n');
const played = play(plan.events);

let sent = 0;
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', async (line) => {
  appendFileSync(recordPath, JSON.stringify({ life, line }) + '\n');
  let cmd;
  try { cmd = JSON.parse(line); } catch { emit({ type: 'error', message: 'not JSON' }); return; }
  if (cmd.type === 'send') {
    if (plan.on_send === 'crash') process.exit(1);
    const id = `SENT-${life}-${++sent}`;
    emit({ type: 'ack', ref: cmd.ref, ok: true, id });
    emit({ type: 'message', id, chat_jid: cmd.chat_jid, sender_jid: owner, sender_name: 'Owner', text: cmd.text,
      timestamp: new Date().toISOString(), is_from_me: true });
    return;
  }
  if (cmd.type === 'download') {
    const d = plan.downloads?.[cmd.id];
    if (!d) return emit({ type: 'ack', ref: cmd.ref, ok: false, error: `no media message ${cmd.id}` });
    mkdirSync(mediaDir, { recursive: true });
    if (d.write) writeFileSync(join(mediaDir, d.write.name), Buffer.from(d.write.hex, 'hex'));
    if (d.symlink) symlinkSync(d.symlink.target, join(mediaDir, d.symlink.name));
    return emit({ type: 'ack', ref: cmd.ref, ...d.ack });
  }
  if (cmd.type === 'sync_groups') emit({ type: 'groups', groups: plan.groups ?? [] });
  if (cmd.type === 'pair') emit({ type: 'pairing_code', code: 'ABCD1234' });
  emit({ type: 'ack', ref: cmd.ref ?? null, ok: true });
  if (cmd.type === 'pair') { await played; await play(plan.after_pair); }
  if (cmd.type === 'logout') {
    emit({ type: 'closed', reason: 'logged_out', will_reconnect: false, status_code: 401 });
    for (const name of readdirSync(authDir)) rmSync(join(authDir, name), { recursive: true, force: true });
    process.exit(0);
  }
});
rl.on('close', () => process.exit(0));
