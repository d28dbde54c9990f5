namespace NanoClaw.Tests.Fakes;

/// <summary>A file part of a multipart Bot API call, as received: the file name and content type the client gave, and the bytes.</summary>
public sealed record FakeTelegramUpload(string FileName, string ContentType, byte[] Bytes);
