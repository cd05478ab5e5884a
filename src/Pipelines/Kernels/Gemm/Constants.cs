namespace Pipelines.Kernels.Gemm;

/// <summary>A compile-time integer: the JIT folds <see cref="Value"/> when it specialises a kernel for a struct that implements it.</summary>
internal interface IConstant
{
    static abstract int Value { get; }
}

internal readonly struct One : IConstant
{
    public static int Value => 1;
}

internal readonly struct Two : IConstant
{
    public static int Value => 2;
}

internal readonly struct Three : IConstant
{
    public static int Value => 3;
}

internal readonly struct Four : IConstant
{
    public static int Value => 4;
}

internal readonly struct Five : IConstant
{
    public static int Value => 5;
}

internal readonly struct Six : IConstant
{
    public static int Value => 6;
}
