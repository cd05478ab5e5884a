using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Pipelines.Tensors;

/// <summary>
/// A splittable random key in the style of JAX: a value, not a generator. The same key always
/// gives the same numbers, on any thread and any platform, because every draw is a pure function
/// of the key and the index of the number drawn (the Philox4x32-10 counter-based generator of
/// Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011). Use <see cref="Split()"/>
/// to get independent keys for independent purposes; never reuse one key for two purposes.
/// </summary>
public readonly record struct Key
{
    // Domain tags keep splitting, folding and drawing on disjoint counters of the same key.
    private const uint SplitDomain = 0x5350_4C54;
    private const uint FoldDomain = 0x464F_4C44;
    private const uint DrawDomain = 0x4452_4157;

    private readonly uint _k0;
    private readonly uint _k1;

    /// <summary>A key from a seed, like <c>jax.random.key(seed)</c>.</summary>
    /// <param name="seed">Any 64-bit seed.</param>
    public Key(ulong seed)
        : this((uint)seed, (uint)(seed >> 32))
    {
    }

    private Key(uint k0, uint k1)
    {
        _k0 = k0;
        _k1 = k1;
    }

    /// <summary>Two new keys, independent of each other and of this one.</summary>
    public (Key First, Key Second) Split() => (Child(0), Child(1));

    /// <summary><paramref name="count"/> new keys, independent of each other and of this one.</summary>
    /// <param name="count">How many keys.</param>
    public Key[] Split(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var keys = new Key[count];
        for (var i = 0; i < count; i++)
            keys[i] = Child((ulong)i);
        return keys;
    }

    /// <summary>A new key that mixes <paramref name="data"/> into this one, like <c>jax.random.fold_in</c>.</summary>
    /// <param name="data">The data to mix in (an epoch, an example index).</param>
    public Key Fold(ulong data)
    {
        var block = Philox((uint)data, (uint)(data >> 32), 0, FoldDomain, _k0, _k1);
        return new Key(block.X0, block.X1);
    }

    /// <summary>The key's 64 bits: <c>new Key(key.Bits64)</c> is the same key (checkpoints store it so).</summary>
    public ulong Bits64 => ((ulong)_k1 << 32) | _k0;

    /// <summary>The key printed as its 64 bits.</summary>
    public override string ToString() => $"Key(0x{Bits64:X16})";

    /// <summary>The <paramref name="index"/>-th block of 128 random bits of this key's draw stream.</summary>
    internal Block128 Bits(ulong index) => Philox((uint)index, (uint)(index >> 32), 0, DrawDomain, _k0, _k1);

    /// <summary>
    /// Blocks <paramref name="firstBlock"/>, <paramref name="firstBlock"/> + 1, … of the draw stream, four words each
    /// (X0..X3) in order, into <paramref name="words"/> (a partial last block is cut): the same bits as <see cref="Bits"/>,
    /// computed for several counters at once in 64-bit vector lanes holding 32-bit values.
    /// </summary>
    internal void FillBits(ulong firstBlock, Span<uint> words)
    {
        var lanes = Vector<ulong>.Count;
        Span<ulong> columns = stackalloc ulong[4 * lanes];
        var at = Avx512F.IsSupported ? FillBlocks512(firstBlock, words) : 0;
        var block = firstBlock + ((ulong)at / 4);
        if (Vector.IsHardwareAccelerated)
        {
            for (; at + (4 * lanes) <= words.Length; at += 4 * lanes, block += (ulong)lanes)
            {
                var counters = new Vector<ulong>(block) + LaneSteps;
                PhiloxLanes(counters & Low32, counters >>> 32, _k0, _k1, columns);
                for (var lane = 0; lane < lanes; lane++)
                {
                    for (var word = 0; word < 4; word++)
                        words[at + (4 * lane) + word] = (uint)columns[(word * lanes) + lane];
                }
            }
        }
        for (; at < words.Length; at += 4, block++)
        {
            var bits = Bits(block);
            for (var word = 0; word < 4 && at + word < words.Length; word++)
                words[at + word] = bits[word];
        }
    }

    private static readonly Vector<ulong> Low32 = new(0xFFFF_FFFFUL);

    /// <summary>0, 1, 2, … across the lanes: the counters' offsets from a group's first block.</summary>
    private static readonly Vector<ulong> LaneSteps = new([.. Enumerable.Range(0, Vector<ulong>.Count).Select(i => (ulong)i)]);

    /// <summary>
    /// The AVX-512 form of <see cref="FillBits"/> for whole groups of eight blocks: one counter per 64-bit lane, the
    /// 32×32→64 multiplies as single <c>vpmuludq</c>s (a generic 64-bit vector multiply is three µops here), and the
    /// four words of each lane interleaved into block order by two permutes instead of a scalar scatter. Returns how
    /// many words it wrote (a multiple of 32); the caller draws the rest.
    /// </summary>
    private int FillBlocks512(ulong firstBlock, Span<uint> words)
    {
        const int WordsPerGroup = 32;
        var low = Vector512.Create(0xFFFF_FFFFUL);
        var (m0, m1) = (Vector512.Create(0xD251_1F53U), Vector512.Create(0xCD9E_8D57U));
        var (firstHalf, secondHalf) = (Vector512.Create(0UL, 8, 1, 9, 2, 10, 3, 11), Vector512.Create(4UL, 12, 5, 13, 6, 14, 7, 15));
        var counters = Vector512.Create(firstBlock) + Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
        var destination = MemoryMarshal.Cast<uint, ulong>(words);
        var at = 0;
        for (; at + WordsPerGroup <= words.Length; at += WordsPerGroup, counters += Vector512.Create(8UL))
        {
            var (c0, c1, c2, c3) = (counters & low, counters >>> 32, Vector512<ulong>.Zero, Vector512.Create((ulong)DrawDomain));
            var (k0, k1) = (_k0, _k1);
            for (var round = 0; round < 10; round++)
            {
                var p0 = Avx512F.Multiply(c0.AsUInt32(), m0);
                var p1 = Avx512F.Multiply(c2.AsUInt32(), m1);
                (c0, c1, c2, c3) = ((p1 >>> 32) ^ c1 ^ Vector512.Create((ulong)k0), p1 & low, (p0 >>> 32) ^ c3 ^ Vector512.Create((ulong)k1), p0 & low);
                k0 += 0x9E37_79B9;
                k1 += 0xBB67_AE85;
            }
            // Little-endian: X0 | X1 << 32 is the words X0, X1 in memory order, and likewise X2, X3.
            var (first, second) = (c0 | (c1 << 32), c2 | (c3 << 32));
            Avx512F.PermuteVar8x64x2(first, firstHalf, second).CopyTo(destination[(at / 2)..]);
            Avx512F.PermuteVar8x64x2(first, secondHalf, second).CopyTo(destination[((at / 2) + 8)..]);
        }
        return at;
    }

    /// <summary>Philox4x32-10 of the draw domain for one counter per lane; writes X0 of every lane, then X1, X2, X3.</summary>
    private static void PhiloxLanes(Vector<ulong> c0, Vector<ulong> c1, uint k0, uint k1, Span<ulong> columns)
    {
        var (m0, m1) = (new Vector<ulong>(0xD251_1F53UL), new Vector<ulong>(0xCD9E_8D57UL));
        var c2 = Vector<ulong>.Zero;
        var c3 = new Vector<ulong>(DrawDomain);
        for (var round = 0; round < 10; round++)
        {
            var p0 = m0 * c0;
            var p1 = m1 * c2;
            (c0, c1, c2, c3) = ((p1 >>> 32) ^ c1 ^ new Vector<ulong>(k0), p1 & Low32, (p0 >>> 32) ^ c3 ^ new Vector<ulong>(k1), p0 & Low32);
            k0 += 0x9E37_79B9;
            k1 += 0xBB67_AE85;
        }
        var lanes = Vector<ulong>.Count;
        c0.CopyTo(columns);
        c1.CopyTo(columns[lanes..]);
        c2.CopyTo(columns[(2 * lanes)..]);
        c3.CopyTo(columns[(3 * lanes)..]);
    }

    private Key Child(ulong index)
    {
        var block = Philox((uint)index, (uint)(index >> 32), 0, SplitDomain, _k0, _k1);
        return new Key(block.X0, block.X1);
    }

    internal static Block128 Philox(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        const uint M0 = 0xD251_1F53, M1 = 0xCD9E_8D57, W0 = 0x9E37_79B9, W1 = 0xBB67_AE85;
        for (var round = 0; round < 10; round++)
        {
            var p0 = (ulong)M0 * c0;
            var p1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
            k0 += W0;
            k1 += W1;
        }
        return new Block128(c0, c1, c2, c3);
    }
}

/// <summary>128 random bits from one counter of a <see cref="Key"/>.</summary>
internal readonly record struct Block128(uint X0, uint X1, uint X2, uint X3)
{
    public uint this[int word] => word switch { 0 => X0, 1 => X1, 2 => X2, _ => X3 };
}
