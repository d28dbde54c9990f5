// A stand-in for WhatsApp's servers and the real sidecar (bridges/whatsapp/bridge.js), for the host's tests only.
// It speaks the sidecar's stdio protocol (docs/whatsapp-bridge.md) from a script instead of a Baileys socket:
//   node scripted-bridge.mjs --auth-dir DIR --script SCRIPT.json --record COMMANDS.jsonl
// SCRIPT.json: {"lives": [{"events": ["<raw stdout line>", ...], "on_send": "ack" | "crash"}, ...]}
// Each start is one "life" (counted in DIR/lives); life N plays lives[N] (the last one repeats). The raw lines are
// written as given, so a script can include malformed ones. Every stdin line is appended to COMMANDS.jsonl as
// {"life": N, "line": "..."}. on_send "crash" exits with code 1 on a send without acking it; "ack" acks it with a
// fresh id and echoes it back as the owner's message, as the real sidecar does.
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const arg = (name) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : undefined; };
const authDir = arg('--auth-dir'), scriptPath = arg('--script'), recordPath = arg('--record');
if (!authDir || !scriptPath || !recordPath) { process.stderr.write('usage: --auth-dir DIR --script FILE --record FILE\n'); process.exit(64); }

mkdirSync(authDir, { recursive: true });
const livesFile = join(authDir, 'lives');
let life = 0;
try { life = readFileSync(livesFile, 'utf8').length; } catch { /* first life */ }
appendFileSync(livesFile, 'x');
const script = JSON.parse(readFileSync(scriptPath, 'utf8'));
const plan = script.lives[Math.min(life, script.lives.length - 1)];
const owner = '4915199999999@s.whatsapp.net';
const emit = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');

process.stderr.write(JSON.stringify({ level: 'info', msg: `scripted sidecar life ${life}` }) + '\n');
for (const line of plan.events) process.stdout.write(line + '\n');

let sent = 0;
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
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
  emit({ type: 'ack', ref: cmd.ref ?? null, ok: true });
});
rl.on('close', () => process.exit(0));
