namespace Pipelines.Kernels.Gemm;

/// <summary>
/// The oracle, as BLIS keeps <c>bli_gemm_ref</c>: <c>C = A·B</c> by the definition, accumulated in double, on
/// plain arrays with element accessors so any transpose is a lambda. Slow and obviously right.
/// </summary>
internal static class ReferenceGemm
{
    /// <summary>C[i, j] = init(i, j) + Σₚ a(i, p)·b(p, j), summed in double and rounded once per element.</summary>
    /// <param name="m">Rows of C.</param>
    /// <param name="n">Columns of C.</param>
    /// <param name="k">The reduction length.</param>
    /// <param name="a">Element (i, p) of the left factor.</param>
    /// <param name="b">Element (p, j) of the right factor.</param>
    /// <param name="init">Where each element starts (a bias, C itself); zero when null.</param>
    public static double[] Multiply(int m, int n, int k, Func<int, int, double> a, Func<int, int, double> b, Func<int, int, double>? init = null)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var c = new double[(long)m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var sum = init?.Invoke(i, j) ?? 0.0;
                for (var p = 0; p < k; p++)
                    sum += a(i, p) * b(p, j);
                c[((long)i * n) + j] = sum;
            }
        }
        return c;
    }
}
