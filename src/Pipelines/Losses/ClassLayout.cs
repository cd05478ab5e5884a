using Pipelines.Tensors;

namespace Pipelines.Losses;

/// <summary>
/// Scores laid out as PyTorch's classification losses expect: [C] (one sample), [N, C] or [N, C, d1, …], seen as
/// N·S positions of C classes with the class stride S = d1·…; element (n, c, s) is at (n·C + c)·S + s.
/// </summary>
internal readonly record struct ClassLayout(int Batch, int Classes, int Spatial)
{
    public int Positions => Batch * Spatial;

    public static ClassLayout Of(string loss, Tensor input)
    {
        if (input.Rank == 0)
            throw new ArgumentException($"{loss} needs scores [C], [N, C] or [N, C, d1, ...] but got a scalar.", nameof(input));
        return input.Rank == 1 ? new ClassLayout(1, input.Shape[0], 1) : new ClassLayout(input.Shape[0], input.Shape[1], new Shape(input.Shape.Dims[2..]).ElementCount);
    }

    /// <summary>The shape class-index targets must have: the input's without its class axis.</summary>
    public static Shape TargetShape(Tensor input) => input.Rank == 1 ? Shape.Scalar : new Shape([input.Shape[0], .. input.Shape.Dims[2..]]);

    /// <summary>The element index of class <paramref name="c"/> at position <paramref name="position"/> (n·S + s).</summary>
    public int At(int position, int c) => ((((position / Spatial) * Classes) + c) * Spatial) + (position % Spatial);
}
