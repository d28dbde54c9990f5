using System.Globalization;
using System.Runtime.InteropServices;

namespace NanoClaw.Guest;

/// <summary>
/// A guest vsock port the guest agent listens on (<c>--control vsock:PORT</c>), and the one place its
/// <c>struct sockaddr_vm</c> is laid out. Shared by the host (which connects to <see cref="ControlPort"/>
/// through Firecracker's vsock socket) and the guest agent (which listens there), so both agree.
/// </summary>
public sealed record VsockAddress(uint Port)
{
    public const string Prefix = "vsock:";

    /// <summary>The guest port of the control channel; vm/guest/stage2 passes the same number.</summary>
    public const uint ControlPort = 1024;

    /// <summary><c>AF_VSOCK</c> on Linux.</summary>
    public const int AddressFamily = 40;

    /// <summary><c>VMADDR_CID_ANY</c>: accept connections addressed to any of this VM's CIDs.</summary>
    public const uint CidAny = 0xFFFF_FFFF;

    /// <summary><c>VMADDR_PORT_ANY</c>; it means "pick one", so it can never be the agreed port.</summary>
    const uint PortAny = 0xFFFF_FFFF;

    /// <summary><c>sizeof(struct sockaddr_vm)</c>.</summary>
    public const int SockaddrSize = 16;

    /// <summary>Parses <c>vsock:PORT</c> strictly (decimal digits only, 1 to 4294967294); the error says what is wrong.</summary>
    public static (VsockAddress? Address, string? Error) Parse(string text)
    {
        if (!text.StartsWith(Prefix, StringComparison.Ordinal)) return (null, $"'{text}' does not start with '{Prefix}'");
        var digits = text[Prefix.Length..];
        if (digits.Length == 0 || digits.Length > 10 || !digits.All(char.IsAsciiDigit)
            || !uint.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is 0 or PortAny)
            return (null, $"'{text}': the vsock port must be a decimal number from 1 to {PortAny - 1}");
        return (new VsockAddress(port), null);
    }

    /// <summary>
    /// <c>struct sockaddr_vm { sa_family_t svm_family; unsigned short svm_reserved1; unsigned int svm_port;
    /// unsigned int svm_cid; unsigned char svm_flags; unsigned char svm_zero[3]; }</c> in host byte order
    /// (vsock ports and CIDs are not in network order), bound to <paramref name="cid"/>.
    /// </summary>
    public byte[] Sockaddr(uint cid = CidAny)
    {
        var bytes = new byte[SockaddrSize];
        var family = (ushort)AddressFamily;
        var port = Port;
        MemoryMarshal.Write(bytes.AsSpan(0), in family);
        MemoryMarshal.Write(bytes.AsSpan(4), in port);
        MemoryMarshal.Write(bytes.AsSpan(8), in cid);
        return bytes;
    }

    public override string ToString() => Prefix + Port.ToString(CultureInfo.InvariantCulture);
}
