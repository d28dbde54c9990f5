using System.Runtime.Versioning;

namespace NanoClaw.Tests.Guest;

/// <summary>
/// A stand-in for the Claude Code CLI, named as such: a shell script speaking the same stream-json (one
/// <c>system/init</c> and one <c>result</c> per user message). Each message is a shell command run in the working
/// directory; its output is the result text. It knows one session id and fails a <c>--resume</c> of any other the way
/// the real CLI does. With <c>--await-claim</c> it parks like the real CLI: its first input line must be the claim
/// (answered with a <c>control_response</c>; refused when its environment has <c>SCRIPTED_CLAIM=refuse</c>), after which
/// it works in the claim's <c>cwd</c> with <c>CLAIMED=yes</c> and <c>APPENDIX</c> (the claim's system prompt appendix) in
/// its environment. A <c>set_cwd</c> request before a turn moves it (answered <c>needs_trust</c> without the trust
/// attestation, as the real CLI does for a new folder; refused with <c>SCRIPTED_CWD=refuse</c>). A context summary request
/// (<c>get_context_usage</c>, <c>detail: summary</c>) sets <c>CONTEXT_BUILT=yes</c> (refused with
/// <c>SCRIPTED_CONTEXT=refuse</c>); any other detail would be taken for a user message. Each answer comes as the
/// real CLI streams it with <c>--include-partial-messages</c>: the text block, its message's <c>end_turn</c>, then the
/// result; <c>SCRIPTED_HOLD_RESULT=file</c> holds the result until that file exists, <c>SCRIPTED_RESULT_SUFFIX</c> is added
/// to the result's text only (a turn that went on), <c>SCRIPTED_SUBAGENT=yes</c> first streams a sub-agent's message that
/// ends its own turn. Used to test the guest's workspace and session handling fast; real-CLI tests sit beside it.
/// </summary>
[SupportedOSPlatform("linux")]
public static class ScriptedClaude
{
    public const string KnownSession = "11111111-2222-3333-4444-555555555555";

    const string Script = """
        #!/bin/bash
        sid=__SESSION__
        resume=""
        spare=""
        n=0
        while [ $# -gt 0 ]; do case "$1" in --resume) resume="$2"; shift 2;; --await-claim) spare=1; shift;; *) shift;; esac; done
        if [ -n "$spare" ]; then
          IFS= read -r claim
          cwd=$(printf '%s' "$claim" | sed -n -e 's/.*"claim_session","cwd":"\([^"]*\)".*/\1/p')
          if [ "$SCRIPTED_CLAIM" = refuse ] || [ -z "$cwd" ]; then
            echo '{"type":"control_response","response":{"subtype":"error","request_id":"claim","error":"claim refused for the test"}}'
            exit 1
          fi
          cd "$cwd" && export CLAIMED=yes
          export APPENDIX=$(printf '%s' "$claim" | sed -n -e 's/.*"append_system_prompt":"\([^"]*\)".*/\1/p')
          echo "{\"type\":\"control_response\",\"response\":{\"subtype\":\"success\",\"request_id\":\"claim\",\"response\":{\"status\":\"ok\",\"cwd\":\"$cwd\",\"session_id\":\"$sid\"}}}"
        fi
        if [ -n "$resume" ] && [ "$resume" != "$sid" ]; then
          echo "{\"type\":\"result\",\"subtype\":\"error_during_execution\",\"is_error\":true,\"errors\":[\"No conversation found with session ID: $resume\"]}"
          echo "No conversation found with session ID: $resume" >&2
          exit 1
        fi
        while IFS= read -r line; do
          case "$line" in *'"subtype":"get_context_usage","detail":"summary"'*)
            if [ "$SCRIPTED_CONTEXT" = refuse ]; then
              echo '{"type":"control_response","response":{"subtype":"error","request_id":"context-summary","error":"context refused for the test"}}'
            else
              export CONTEXT_BUILT=yes
              echo '{"type":"control_response","response":{"subtype":"success","request_id":"context-summary","response":{"categories":[],"totalTokens":0}}}'
            fi
            continue;;
          esac
          case "$line" in *'"subtype":"set_cwd"'*)
            to=$(printf '%s' "$line" | sed -n -e 's/.*"path":"\([^"]*\)".*/\1/p')
            if [ "$SCRIPTED_CWD" = refuse ]; then
              echo '{"type":"control_response","response":{"subtype":"error","request_id":"cwd","error":"move refused for the test"}}'
            elif [ -n "$spare" ] && [ -n "$CLAIMED" ] && [ "$to" != "$PWD" ] && ! printf '%s' "$line" | grep -q '"trust_accepted":true'; then
              echo "{\"type\":\"control_response\",\"response\":{\"subtype\":\"success\",\"request_id\":\"cwd\",\"response\":{\"status\":\"needs_trust\",\"directory\":\"$to\"}}}"
            else
              cd "$to" && echo "{\"type\":\"control_response\",\"response\":{\"subtype\":\"success\",\"request_id\":\"cwd\",\"response\":{\"status\":\"ok\",\"cwd\":\"$to\",\"changed\":true}}}"
            fi
            continue;;
          esac
          cmd=$(printf '%s' "$line" | sed -e 's/.*"content":"\(.*\)"}}$/\1/')
          echo "{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"$sid\"}"
          if [ "$cmd" = "fail" ]; then echo "boom on stderr" >&2; exit 3; fi
          out=$(bash -c "$cmd" 2>&1 | tr -d '"\\\n')
          n=$((n + 1))
          if [ "$SCRIPTED_SUBAGENT" = yes ]; then
            echo "{\"type\":\"assistant\",\"message\":{\"id\":\"sub$n\",\"content\":[{\"type\":\"text\",\"text\":\"sub-agent notes\"}]},\"parent_tool_use_id\":\"toolu_$n\"}"
            echo "{\"type\":\"stream_event\",\"event\":{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}},\"parent_tool_use_id\":\"toolu_$n\",\"api_message_id\":\"sub$n\"}"
          fi
          echo "{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"$out\"}},\"parent_tool_use_id\":null,\"api_message_id\":\"m$n\"}"
          echo "{\"type\":\"assistant\",\"message\":{\"id\":\"m$n\",\"content\":[{\"type\":\"text\",\"text\":\"$out\"}]},\"parent_tool_use_id\":null}"
          echo "{\"type\":\"stream_event\",\"event\":{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"}},\"parent_tool_use_id\":null,\"api_message_id\":\"m$n\"}"
          if [ -n "$SCRIPTED_HOLD_RESULT" ]; then
            while [ ! -e "$SCRIPTED_HOLD_RESULT" ]; do sleep 0.05; done
          fi
          echo "{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,\"result\":\"$out$SCRIPTED_RESULT_SUFFIX\",\"session_id\":\"$sid\"}"
        done
        """;

    /// <summary>Writes the script into <paramref name="dir"/> (mode 0755) and returns its path.</summary>
    public static string Install(string dir)
    {
        var path = Path.Combine(dir, "claude");
        File.WriteAllText(path, Script.Replace("__SESSION__", KnownSession) + "\n");
        File.SetUnixFileMode(path, (UnixFileMode)0b111_101_101);
        return path;
    }
}
