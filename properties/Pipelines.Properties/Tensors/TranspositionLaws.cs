using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipelines.Tensors;

namespace Pipelines.Properties.Tensors;

/// <summary>The transpose moves element (r, c) to (c, r) for every size and stride: register blocks, edge tiles and padding alike.</summary>
[Properties(MaxTest = 80)]
public sealed class TranspositionLaws
{
    private static readonly Gen<(int Rows, int Cols, int SourcePad, int DestinationPad)> Sizes =
        from rows in Gen.Frequency((3, Gen.Choose(0, 40)), (1, Gen.Elements(16, 32, 48, 64, 257)))
        from cols in Gen.Frequency((3, Gen.Choose(0, 40)), (1, Gen.Elements(16, 32, 48, 64, 129)))
        from sourcePad in Gen.Elements(0, 0, 1, 3, 8)
        from destinationPad in Gen.Elements(0, 0, 1, 5, 8)
        select (rows, cols, sourcePad, destinationPad);

    [Property]
    public Property Four_byte_elements_move_to_their_transposed_place() => Prop.ForAll(Sizes.ToArbitrary(), s => Check<float>(s, i => i * 0.5f));

    [Property]
    public Property Eight_byte_elements_move_to_their_transposed_place() => Prop.ForAll(Sizes.ToArbitrary(), s => Check<long>(s, i => (long)i << 33));

    private static Property Check<T>((int Rows, int Cols, int SourcePad, int DestinationPad) s, Func<int, T> value)
        where T : unmanaged, IEquatable<T>
    {
        var (sourceStride, destinationStride) = (s.Cols + s.SourcePad, s.Rows + s.DestinationPad);
        var source = Enumerable.Range(0, s.Rows * sourceStride).Select(value).ToArray();
        var destination = new T[s.Cols * destinationStride];
        Transposition.Transpose<T>(source, s.Rows, s.Cols, sourceStride, destination, destinationStride);
        for (var c = 0; c < s.Cols; c++)
        {
            for (var r = 0; r < destinationStride; r++)
            {
                var expected = r < s.Rows ? source[(r * sourceStride) + c] : default;
                if (!destination[(c * destinationStride) + r].Equals(expected))
                    return false.Label($"{s}: element ({r}, {c})");
            }
        }
        return true.ToProperty();
    }
}
