namespace NanoClaw.Tests.Cli;

/// <summary>A theory that needs <c>zbarimg</c> (Debian package zbar-tools) to decode QR codes independently of our
/// encoder. Without it the test is reported as skipped, with that reason.</summary>
public sealed class ZbarTheoryAttribute : TheoryAttribute
{
    public static string? ZbarImg =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "zbarimg")).FirstOrDefault(File.Exists);

    public ZbarTheoryAttribute()
    {
        if (ZbarImg is null) Skip = "no `zbarimg` on PATH (apt-get install zbar-tools): the printed QR cannot be decoded independently here";
    }
}
