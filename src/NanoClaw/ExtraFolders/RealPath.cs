using System.Runtime.InteropServices;

namespace NanoClaw.ExtraFolders;

/// <summary>
/// realpath(3): every symlink in every component resolved, <c>.</c> and <c>..</c> applied physically.
/// NOTE: .NET's ResolveLinkTarget resolves only the last component, which would let <c>/allowed/link/..</c>
/// or a symlinked parent folder slip past a prefix check; so we ask the kernel's view through libc.
/// </summary>
internal static class RealPath
{
    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    static extern IntPtr SysRealPath(string path, IntPtr resolved);

    [DllImport("libc", EntryPoint = "free")]
    static extern void Free(IntPtr pointer);

    /// <summary>The resolved absolute path, or null when it (or any component, or a link target) does not exist.</summary>
    public static string? Resolve(string path)
    {
        if (path.Length == 0 || path.Contains('\0')) return null;
        var result = SysRealPath(path, IntPtr.Zero);
        if (result == IntPtr.Zero) return null;
        try { return Marshal.PtrToStringUTF8(result); }
        finally { Free(result); }
    }
}
