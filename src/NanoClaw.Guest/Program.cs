// Placeholder until the guest agent lands: proves the control channel by answering "ready".
var control = args.Length == 2 && args[0] == "--control" ? args[1] : throw new ArgumentException("usage: nanoclaw-guest --control PATH");
using var stream = new FileStream(control, FileMode.Open, FileAccess.ReadWrite);
var ready = "{\"type\":\"ready\"}\n"u8.ToArray();
stream.Write(ready);
stream.Flush();
return 0;
