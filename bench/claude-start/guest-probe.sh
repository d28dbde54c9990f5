# Inserted into stage 2 by experiment.sh, before the guest agent starts; runs as root in the guest, then powers off.
# One Claude Code start, timed from inside the VM: "cold" (a plain `claude -p`, as a run starts it today), "spare"
# (`--await-claim`: started before any job, parked, then bound with a claim_session control request) or "prestarted"
# (a plain `claude -p` started before the job, its first message written only at the job). "-resume" after a variant:
# the measured start resumes a session an unmeasured start made first (spare cannot: Claude Code refuses it). No API is
# reachable (127.0.0.1:9 refuses at once), so "first reply" is Claude Code's answer after its first, refused, API call.
variant=cold
for arg in $(cat /proc/cmdline); do case "$arg" in probe.variant=*) variant="${arg#probe.variant=}" ;; esac; done
now() { cut -d' ' -f1 /proc/uptime; }
home="$(mktemp -d /tmp/probe.XXXXXX)"; mkdir -p "$home/park" "$home/work"; chown -R 1000:1000 "$home"
mkfifo "$home/in"
flags="-p --input-format stream-json --output-format stream-json --verbose --dangerously-skip-permissions"
run_env() { env -i HOME="$home" TMPDIR="$home" CLAUDE_CONFIG_DIR="$home/.claude" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 USER=agent \
    ANTHROPIC_API_KEY=probe ANTHROPIC_BASE_URL=http://127.0.0.1:9 CLAUDE_CODE_MAX_RETRIES=0 DISABLE_TELEMETRY=1 \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 "$@"; }
case "$variant" in
  *-resume)
    # The session to resume: one unmeasured start that answers (refused API) and exits.
    cd "$home/work"
    echo '{"type":"user","message":{"role":"user","content":"first"}}' \
      | run_env setpriv --reuid=1000 --regid=1000 --clear-groups --no-new-privs -- /usr/local/bin/claude $flags >"$home/first" 2>&1 || true
    session="$(grep -m1 -o '"session_id":"[0-9a-f-]*"' "$home/first" | cut -d'"' -f4)"
    flags="$flags --resume $session"
    rm -rf "$home/.claude/startup-perf" ;;
esac
[ "$variant" = spare ] && flags="$flags --await-claim" && cd "$home/park" || cd "$home/work"
t_spawn=$(now)
( env -i HOME="$home" TMPDIR="$home" CLAUDE_CONFIG_DIR="$home/.claude" PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 USER=agent \
    ANTHROPIC_API_KEY=probe ANTHROPIC_BASE_URL=http://127.0.0.1:9 CLAUDE_CODE_MAX_RETRIES=0 DISABLE_TELEMETRY=1 \
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1 CLAUDE_CODE_PROFILE_STARTUP=1 \
    setpriv --reuid=1000 --regid=1000 --clear-groups --no-new-privs -- /usr/local/bin/claude $flags <"$home/in" 2>&1 \
    | while IFS= read -r line; do echo "$(now) $line"; done >"$home/out" ) &
exec 3>"$home/in"
if [ "$variant" = spare ]; then
  sleep 40 # parked long before the claim, like a warm VM waiting in the pool
  t_job=$(now)
  echo '{"type":"control_request","request_id":"claim","request":{"subtype":"claim_session","cwd":"'"$home/work"'","permission_mode":"bypassPermissions"}}' >&3
elif [ "${variant%-resume}" = prestarted ]; then
  sleep 40 # started long before the job, like a VM prepared for a group's next run
  t_job=$(now)
else
  t_job=$t_spawn
fi
echo '{"type":"user","message":{"role":"user","content":"hello"}}' >&3
tries=0
until grep -q '"type":"result"' "$home/out" 2>/dev/null || [ "$tries" -ge 240 ]; do sleep 0.5; tries=$((tries + 1)); done
exec 3>&-
sleep 1
first() { grep -m1 "$1" "$home/out" | cut -d' ' -f1; }
t_claimed=$(first '"type":"control_response"'); t_init=$(first '"subtype":"init"'); t_reply=$(first '"type":"assistant"')
echo "PROBE variant=$variant ${session:+session=$session }job_to_claimed=$(echo "${t_claimed:-$t_job} $t_job" | awk '{print $1-$2}') job_to_init=$(echo "$t_init $t_job" | awk '{print $1-$2}') job_to_reply=$(echo "$t_reply $t_job" | awk '{print $1-$2}')"
for f in "$home"/.claude/startup-perf/*.txt; do
  [ -e "$f" ] && awk '/^\[\+/ { s=$0; gsub(/.*\(\+ */,"",s); gsub(/ms\).*/,"",s); if (s+0 >= 300) print "PROBE   phase " $0 }' "$f"
done
echo "PROBE load $(cat /proc/loadavg)"
echo b >/proc/sysrq-trigger
