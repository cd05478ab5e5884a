namespace Pipelines.Kernels.Gemm;

/// <summary>One product <c>C = A·B</c> (C with row stride <see cref="Ldc"/>) and its epilogue; B may come pre-packed.</summary>
internal readonly unsafe struct GemmProblem<T>(MatrixView<T> a, MatrixView<T> b, PackedMatrix<T>? packedB, T* c, nint ldc, Epilogue epilogue, T* bias)
    where T : unmanaged
{
    public MatrixView<T> A { get; } = a;

    public MatrixView<T> B { get; } = b;

    public PackedMatrix<T>? PackedB { get; } = packedB;

    public T* C { get; } = c;

    public nint Ldc { get; } = ldc;

    public Epilogue Epilogue { get; } = epilogue;

    /// <summary>The bias row (N elements) for <see cref="Epilogue.AddBias"/>.</summary>
    public T* Bias { get; } = bias;
}
