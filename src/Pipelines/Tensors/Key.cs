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

    /// <summary>The key printed as its 64 bits.</summary>
    public override string ToString() => $"Key(0x{((ulong)_k1 << 32) | _k0:X16})";

    /// <summary>The <paramref name="index"/>-th block of 128 random bits of this key's draw stream.</summary>
    internal Block128 Bits(ulong index) => Philox((uint)index, (uint)(index >> 32), 0, DrawDomain, _k0, _k1);

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
