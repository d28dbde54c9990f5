using NanoClaw.Channels.WhatsApp;

namespace NanoClaw.Tests.Channels.WhatsApp;

public class BridgeProtocolTests
{
    static BridgeEvent Parsed(string line) => BridgeProtocol.ParseEvent(line).ShouldBeOfType<BridgeParseResult.Parsed>().Event;
    static string Invalid(string line) => BridgeProtocol.ParseEvent(line).ShouldBeOfType<BridgeParseResult.Invalid>().Reason;

    [Fact]
    public void AMessageWithAQuoteParsesEveryField()
    {
        var m = Parsed("""{"type":"message","id":"ABC","chat_jid":"1@g.us","sender_jid":"49@s.whatsapp.net","sender_name":"Bob","text":"@Andy hi","timestamp":"2024-11-24T08:01:00.000Z","is_from_me":false,"quoted":{"id":"Q","sender_jid":"48@s.whatsapp.net","text":"Dinner?"},"later_field":1}""")
            .ShouldBeOfType<BridgeEvent.Message>();
        m.ShouldBe(new BridgeEvent.Message("ABC", "1@g.us", "49@s.whatsapp.net", "Bob", "@Andy hi",
            new DateTimeOffset(2024, 11, 24, 8, 1, 0, TimeSpan.Zero), false, new QuotedMessage("Q", "48@s.whatsapp.net", "Dinner?")));
    }

    [Fact]
    public void EveryDocumentedEventTypeParses()
    {
        Parsed("""{"type":"qr","qr":"2@x"}""").ShouldBe(new BridgeEvent.Qr("2@x"));
        Parsed("""{"type":"pairing_code","code":"ABCD1234"}""").ShouldBe(new BridgeEvent.PairingCode("ABCD1234"));
        Parsed("""{"type":"connected","jid":"49@s.whatsapp.net"}""").ShouldBe(new BridgeEvent.Connected("49@s.whatsapp.net", null, null));
        Parsed("""{"type":"closed","reason":"logged_out","will_reconnect":false,"status_code":401}""").ShouldBe(new BridgeEvent.Closed("logged_out", false, 401, null));
        Parsed("""{"type":"chat","jid":"1@g.us","name":null,"is_group":true}""").ShouldBe(new BridgeEvent.Chat("1@g.us", null, true));
        Parsed("""{"type":"groups","groups":[{"jid":"1@g.us","name":"Family"}]}""").ShouldBeOfType<BridgeEvent.Groups>().List.ShouldBe([new GroupInfo("1@g.us", "Family")]);
        Parsed("""{"type":"ack","ref":"7","ok":true,"id":"3EB0"}""").ShouldBe(new BridgeEvent.Ack("7", true, null, "3EB0"));
        Parsed("""{"type":"ack","ref":null,"ok":false,"error":"ref is missing"}""").ShouldBe(new BridgeEvent.Ack(null, false, "ref is missing", null));
        Parsed("""{"type":"error","message":"line too long"}""").ShouldBe(new BridgeEvent.SidecarError("line too long"));
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "expected a JSON object")]
    [InlineData("""{"qr":"x"}""", "type is missing")]
    [InlineData("""{"type":"reaction","emoji":"+"}""", "unknown event type \"reaction\"")]
    [InlineData("""{"type":"message","id":"A","chat_jid":"1@g.us","sender_jid":"s","sender_name":"B","timestamp":"2024-11-24T08:01:00.000Z","is_from_me":false}""", "message.text is missing")]
    [InlineData("""{"type":"message","id":"A","chat_jid":"1@g.us","sender_jid":"s","sender_name":"B","text":"t","timestamp":"yesterday","is_from_me":false}""", "not an ISO 8601 time")]
    [InlineData("""{"type":"closed","reason":"x","will_reconnect":"yes"}""", "closed.will_reconnect is missing or not a boolean")]
    [InlineData("""{"type":"ack","ok":true}""", "ack.ref is missing")]
    public void MalformedLinesAreInvalidWithAReason(string line, string reason) => Invalid(line).ShouldContain(reason);

    [Theory]
    [InlineData("""{"type":"qr","qr":"\ud800"}""")]
    [InlineData("""{"type":"message","id":"A","chat_jid":"1@g.us","sender_jid":"s","sender_name":"B","text":"x\udc00y","timestamp":"2024-11-24T08:01:00.000Z","is_from_me":false}""")]
    [InlineData("""{"type":"message","id":"A","chat_jid":"1@g.us","sender_jid":"s","sender_name":"B","text":"t","timestamp":"2024-11-24T08:01:00.000Z","is_from_me":false,"quoted":{"id":"Q","sender_jid":"s","text":"\ud83d"}}""")]
    public void ALoneSurrogateIsAnInvalidLineNotAnException(string line) => Invalid(line).ShouldContain("unreadable");

    [Fact]
    public void BlankLinesAreNothing() => BridgeProtocol.ParseEvent("   ").ShouldBeOfType<BridgeParseResult.Blank>();

    [Fact]
    public void CommandsAreOneLineWithTheirRef()
    {
        BridgeProtocol.SerializeCommand(new BridgeCommand.Send("1@g.us", "Andy: two\nlines \"quoted\""), "5")
            .ShouldBe("""{"type":"send","ref":"5","chat_jid":"1@g.us","text":"Andy: two\nlines \u0022quoted\u0022"}""");
        BridgeProtocol.SerializeCommand(new BridgeCommand.Typing("1@g.us", true), "6").ShouldBe("""{"type":"typing","ref":"6","chat_jid":"1@g.us","on":true}""");
        BridgeProtocol.SerializeCommand(new BridgeCommand.MarkRead("1@g.us", ["a", "b"]), "7").ShouldBe("""{"type":"mark_read","ref":"7","chat_jid":"1@g.us","message_ids":["a","b"]}""");
        BridgeProtocol.SerializeCommand(new BridgeCommand.SyncGroups(), "8").ShouldBe("""{"type":"sync_groups","ref":"8"}""");
        BridgeProtocol.SerializeCommand(new BridgeCommand.Pair("+49 151"), "9").ShouldBe("""{"type":"pair","ref":"9","phone":"\u002B49 151"}""");
        BridgeProtocol.SerializeCommand(new BridgeCommand.SendFile("1@g.us", "/h/data/outbox-files/ab.png", "image", "image/png", "image-20260310-080000.png", "Andy: chart"), "10")
            .ShouldBe("""{"type":"send_file","ref":"10","chat_jid":"1@g.us","path":"/h/data/outbox-files/ab.png","kind":"image","mimetype":"image/png","file_name":"image-20260310-080000.png","caption":"Andy: chart"}""");
    }
}
