namespace NanoClaw.Cli;

/// <summary>
/// A QR code (ISO/IEC 18004) of some bytes: byte mode, error correction level L, the smallest version that fits,
/// and the mask with the lowest penalty. Only what <c>./nanoclaw auth</c> needs to draw WhatsApp's pairing QR in
/// the terminal, so no QR package is pulled in for it. Follows the structure of the well-known reference
/// implementations: data and padding, Reed-Solomon blocks interleaved, function patterns, zig-zag placement.
/// </summary>
sealed class QrCode
{
    // Level L only. Indexed by version (1-40); index 0 unused.
    static readonly int[] EccCodewordsPerBlock = [-1, 7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30];
    static readonly int[] ErrorCorrectionBlocks = [-1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 24, 25];
    const int LevelLFormatBits = 1;

    public int Version { get; }
    public int Size { get; }
    public int Mask { get; }
    readonly bool[,] _modules;   // [y, x], true = dark
    readonly bool[,] _function;  // modules that are not data

    public bool this[int x, int y] => _modules[y, x];

    QrCode(int version, byte[] codewords, int? forcedMask)
    {
        Version = version;
        Size = version * 4 + 17;
        _modules = new bool[Size, Size];
        _function = new bool[Size, Size];
        DrawFunctionPatterns();
        DrawCodewords(AddEccAndInterleave(codewords));
        if (forcedMask is { } m) Mask = m;
        else
        {
            var best = int.MaxValue;
            for (var candidate = 0; candidate < 8; candidate++)
            {
                ApplyMask(candidate);
                DrawFormatBits(candidate);
                var penalty = Penalty();
                if (penalty < best) (best, Mask) = (penalty, candidate);
                ApplyMask(candidate); // XOR again undoes it
            }
        }
        ApplyMask(Mask);
        DrawFormatBits(Mask);
    }

    /// <summary>Encodes <paramref name="data"/>; <paramref name="mask"/> forces a mask (for comparing with another encoder).</summary>
    public static QrCode Encode(byte[] data, int? mask = null)
    {
        for (var version = 1; version <= 40; version++)
        {
            var capacityBits = DataCodewords(version) * 8;
            var countBits = version <= 9 ? 8 : 16;
            var usedBits = 4 + countBits + data.Length * 8;
            if (usedBits > capacityBits || data.Length >= 1 << countBits) continue;

            var bits = new List<bool>();
            Append(bits, 0b0100, 4);               // byte mode
            Append(bits, data.Length, countBits);
            foreach (var b in data) Append(bits, b, 8);
            Append(bits, 0, Math.Min(4, capacityBits - bits.Count)); // terminator
            Append(bits, 0, (8 - bits.Count % 8) % 8);
            for (var pad = 0xEC; bits.Count < capacityBits; pad ^= 0xEC ^ 0x11) Append(bits, pad, 8);

            var codewords = new byte[bits.Count / 8];
            for (var i = 0; i < bits.Count; i++)
                if (bits[i]) codewords[i >> 3] |= (byte)(1 << (7 - (i & 7)));
            return new QrCode(version, codewords, mask);
        }
        throw new ArgumentException($"{data.Length} bytes do not fit in a QR code", nameof(data));
    }

    static void Append(List<bool> bits, int value, int length)
    {
        for (var i = length - 1; i >= 0; i--) bits.Add(((value >> i) & 1) != 0);
    }

    static int RawDataModules(int version)
    {
        var result = (16 * version + 128) * version + 64;
        if (version >= 2)
        {
            var alignments = version / 7 + 2;
            result -= (25 * alignments - 10) * alignments - 55;
            if (version >= 7) result -= 36;
        }
        return result;
    }

    static int DataCodewords(int version) =>
        RawDataModules(version) / 8 - EccCodewordsPerBlock[version] * ErrorCorrectionBlocks[version];

    byte[] AddEccAndInterleave(byte[] data)
    {
        var blockCount = ErrorCorrectionBlocks[Version];
        var eccLength = EccCodewordsPerBlock[Version];
        var rawCodewords = RawDataModules(Version) / 8;
        var shortBlocks = blockCount - rawCodewords % blockCount;
        var shortBlockLength = rawCodewords / blockCount;
        var divisor = ReedSolomonDivisor(eccLength);
        var blocks = new List<byte[]>();
        for (int i = 0, k = 0; i < blockCount; i++)
        {
            var dataLength = shortBlockLength - eccLength + (i < shortBlocks ? 0 : 1);
            var block = new byte[shortBlockLength + 1];
            Array.Copy(data, k, block, 0, dataLength);
            k += dataLength;
            // Short blocks get a placeholder byte after their data, so every block has the same layout; it is skipped below.
            ReedSolomonRemainder(data.AsSpan(k - dataLength, dataLength), divisor).CopyTo(block, shortBlockLength + 1 - eccLength);
            blocks.Add(block);
        }
        var result = new List<byte>(rawCodewords);
        for (var i = 0; i < shortBlockLength + 1; i++)
            for (var j = 0; j < blocks.Count; j++)
                if (i != shortBlockLength - eccLength || j >= shortBlocks) result.Add(blocks[j][i]);
        return [.. result];
    }

    static byte[] ReedSolomonDivisor(int degree)
    {
        var result = new byte[degree];
        result[degree - 1] = 1;
        var root = 1;
        for (var i = 0; i < degree; i++)
        {
            for (var j = 0; j < degree; j++)
            {
                result[j] = Multiply(result[j], root);
                if (j + 1 < degree) result[j] ^= result[j + 1];
            }
            root = Multiply(root, 0x02);
        }
        return result;
    }

    static byte[] ReedSolomonRemainder(ReadOnlySpan<byte> data, byte[] divisor)
    {
        var result = new byte[divisor.Length];
        foreach (var b in data)
        {
            var factor = b ^ result[0];
            Array.Copy(result, 1, result, 0, result.Length - 1);
            result[^1] = 0;
            for (var i = 0; i < result.Length; i++) result[i] ^= Multiply(divisor[i], factor);
        }
        return result;
    }

    /// <summary>Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1.</summary>
    static byte Multiply(int x, int y)
    {
        var z = 0;
        for (var i = 7; i >= 0; i--)
        {
            z = (z << 1) ^ ((z >> 7) * 0x11D);
            z ^= ((y >> i) & 1) * x;
        }
        return (byte)z;
    }

    void DrawFunctionPatterns()
    {
        for (var i = 0; i < Size; i++)
        {
            SetFunction(6, i, i % 2 == 0);
            SetFunction(i, 6, i % 2 == 0);
        }
        DrawFinder(3, 3);
        DrawFinder(Size - 4, 3);
        DrawFinder(3, Size - 4);
        var positions = AlignmentPositions();
        var last = positions.Count - 1;
        for (var i = 0; i <= last; i++)
            for (var j = 0; j <= last; j++)
                if (!(i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0))
                    DrawAlignment(positions[i], positions[j]);
        DrawFormatBits(0); // reserves the area; drawn for real once the mask is known
        DrawVersion();
    }

    List<int> AlignmentPositions()
    {
        if (Version == 1) return [];
        var count = Version / 7 + 2;
        var step = Version == 32 ? 26 : (Version * 4 + count * 2 + 1) / (count * 2 - 2) * 2;
        var result = new List<int> { 6 };
        for (var position = Size - 7; result.Count < count; position -= step) result.Insert(1, position);
        return result;
    }

    void DrawFinder(int x, int y)
    {
        for (var dy = -4; dy <= 4; dy++)
            for (var dx = -4; dx <= 4; dx++)
            {
                var distance = Math.Max(Math.Abs(dx), Math.Abs(dy));
                int xx = x + dx, yy = y + dy;
                if (xx >= 0 && xx < Size && yy >= 0 && yy < Size) SetFunction(xx, yy, distance != 2 && distance != 4);
            }
    }

    void DrawAlignment(int x, int y)
    {
        for (var dy = -2; dy <= 2; dy++)
            for (var dx = -2; dx <= 2; dx++)
                SetFunction(x + dx, y + dy, Math.Max(Math.Abs(dx), Math.Abs(dy)) != 1);
    }

    void DrawFormatBits(int mask)
    {
        var data = LevelLFormatBits << 3 | mask;
        var remainder = data;
        for (var i = 0; i < 10; i++) remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537);
        var bits = (data << 10 | remainder) ^ 0x5412;
        bool Bit(int i) => ((bits >> i) & 1) != 0;

        for (var i = 0; i <= 5; i++) SetFunction(8, i, Bit(i));
        SetFunction(8, 7, Bit(6));
        SetFunction(8, 8, Bit(7));
        SetFunction(7, 8, Bit(8));
        for (var i = 9; i < 15; i++) SetFunction(14 - i, 8, Bit(i));

        for (var i = 0; i < 8; i++) SetFunction(Size - 1 - i, 8, Bit(i));
        for (var i = 8; i < 15; i++) SetFunction(8, Size - 15 + i, Bit(i));
        SetFunction(8, Size - 8, true); // the dark module
    }

    void DrawVersion()
    {
        if (Version < 7) return;
        var remainder = Version;
        for (var i = 0; i < 12; i++) remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25);
        var bits = Version << 12 | remainder;
        for (var i = 0; i < 18; i++)
        {
            var bit = ((bits >> i) & 1) != 0;
            int a = Size - 11 + i % 3, b = i / 3;
            SetFunction(a, b, bit);
            SetFunction(b, a, bit);
        }
    }

    void SetFunction(int x, int y, bool dark)
    {
        _modules[y, x] = dark;
        _function[y, x] = true;
    }

    void DrawCodewords(byte[] data)
    {
        var i = 0;
        for (var right = Size - 1; right >= 1; right -= 2)
        {
            if (right == 6) right = 5; // the vertical timing pattern's column is skipped
            for (var vertical = 0; vertical < Size; vertical++)
                for (var j = 0; j < 2; j++)
                {
                    var x = right - j;
                    var upward = ((right + 1) & 2) == 0;
                    var y = upward ? Size - 1 - vertical : vertical;
                    if (_function[y, x] || i >= data.Length * 8) continue;
                    _modules[y, x] = ((data[i >> 3] >> (7 - (i & 7))) & 1) != 0;
                    i++;
                }
        }
    }

    void ApplyMask(int mask)
    {
        for (var y = 0; y < Size; y++)
            for (var x = 0; x < Size; x++)
            {
                var invert = mask switch
                {
                    0 => (x + y) % 2 == 0,
                    1 => y % 2 == 0,
                    2 => x % 3 == 0,
                    3 => (x + y) % 3 == 0,
                    4 => (x / 3 + y / 2) % 2 == 0,
                    5 => x * y % 2 + x * y % 3 == 0,
                    6 => (x * y % 2 + x * y % 3) % 2 == 0,
                    _ => ((x + y) % 2 + x * y % 3) % 2 == 0,
                };
                if (invert && !_function[y, x]) _modules[y, x] = !_modules[y, x];
            }
    }

    /// <summary>The standard's four penalty rules; the mask with the lowest score is the easiest to scan.</summary>
    int Penalty()
    {
        var penalty = 0;
        for (var pass = 0; pass < 2; pass++) // rows, then columns
            for (var a = 0; a < Size; a++)
            {
                var run = 1;
                var line = new bool[Size];
                for (var b = 0; b < Size; b++) line[b] = pass == 0 ? _modules[a, b] : _modules[b, a];
                for (var b = 1; b < Size; b++)
                {
                    if (line[b] == line[b - 1]) run++;
                    else { if (run >= 5) penalty += run - 2; run = 1; }
                }
                if (run >= 5) penalty += run - 2;
                for (var b = 0; b + 11 <= Size; b++)
                    if (Matches(line, b, FinderLikeA) || Matches(line, b, FinderLikeB)) penalty += 40;
            }
        for (var y = 0; y + 1 < Size; y++)
            for (var x = 0; x + 1 < Size; x++)
            {
                var c = _modules[y, x];
                if (c == _modules[y, x + 1] && c == _modules[y + 1, x] && c == _modules[y + 1, x + 1]) penalty += 3;
            }
        var dark = 0;
        foreach (var m in _modules) if (m) dark++;
        var total = Size * Size;
        var k = (Math.Abs(dark * 20 - total * 10) + total - 1) / total - 1;
        return penalty + Math.Max(0, k) * 10;
    }

    static readonly bool[] FinderLikeA = [true, false, true, true, true, false, true, false, false, false, false];
    static readonly bool[] FinderLikeB = [false, false, false, false, true, false, true, true, true, false, true];

    static bool Matches(bool[] line, int start, bool[] pattern)
    {
        for (var i = 0; i < pattern.Length; i++)
            if (line[start + i] != pattern[i]) return false;
        return true;
    }
}
