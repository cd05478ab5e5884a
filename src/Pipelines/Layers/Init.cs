using Pipelines.Tensors;

namespace Pipelines.Layers;

/// <summary>
/// The initialisers of <c>torch.nn.init</c> as pure functions: each takes a <see cref="Key"/> (where it
/// draws) and a shape, and returns a new tensor. Formulas, fan conventions and defaults are PyTorch's.
/// </summary>
public static class Init
{
    /// <summary>
    /// The recommended gain for a non-linearity, like <c>calculate_gain(nonlinearity, param)</c>: the parameter is the
    /// negative slope of a leaky ReLU (0.01 when not given) and, as in PyTorch, ignored for every other non-linearity.
    /// </summary>
    /// <param name="nonlinearity">The non-linearity that follows the layer.</param>
    /// <param name="param">For <see cref="Nonlinearity.LeakyRelu"/>, its negative slope; ignored otherwise.</param>
    public static double CalculateGain(Nonlinearity nonlinearity, double? param = null) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Conv or Nonlinearity.Sigmoid => 1.0,
        Nonlinearity.Tanh => 5.0 / 3,
        Nonlinearity.Relu => Math.Sqrt(2.0),
        Nonlinearity.LeakyRelu => Math.Sqrt(2.0 / (1 + Math.Pow(param ?? 0.01, 2))),
        Nonlinearity.Selu => 3.0 / 4,
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, "Unknown non-linearity."),
    };

    /// <summary>
    /// <see cref="CalculateGain(Nonlinearity, double?)"/> by PyTorch's name: <c>linear</c>, <c>conv1d</c>, <c>conv2d</c>,
    /// <c>conv3d</c>, <c>conv_transpose1d</c>, <c>conv_transpose2d</c>, <c>conv_transpose3d</c>, <c>sigmoid</c>,
    /// <c>tanh</c>, <c>relu</c>, <c>leaky_relu</c> or <c>selu</c>.
    /// </summary>
    /// <param name="nonlinearity">PyTorch's name of the non-linearity.</param>
    /// <param name="param">For <c>leaky_relu</c>, its negative slope; ignored otherwise.</param>
    public static double CalculateGain(string nonlinearity, double? param = null) => CalculateGain(
        nonlinearity switch
        {
            "linear" => Nonlinearity.Linear,
            "conv1d" or "conv2d" or "conv3d" or "conv_transpose1d" or "conv_transpose2d" or "conv_transpose3d" => Nonlinearity.Conv,
            "sigmoid" => Nonlinearity.Sigmoid,
            "tanh" => Nonlinearity.Tanh,
            "relu" => Nonlinearity.Relu,
            "leaky_relu" => Nonlinearity.LeakyRelu,
            "selu" => Nonlinearity.Selu,
            _ => throw new ArgumentException($"Unsupported nonlinearity '{nonlinearity}'; PyTorch's names are linear, conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, sigmoid, tanh, relu, leaky_relu and selu.", nameof(nonlinearity)),
        },
        param);

    /// <summary>
    /// Fan-in and fan-out of a weight of this shape: <c>[out, in, *receptive]</c> gives
    /// (in · receptive, out · receptive), as PyTorch computes them; needs at least 2 axes.
    /// </summary>
    /// <param name="shape">The weight's shape, [out, in, *receptive].</param>
    public static (int FanIn, int FanOut) Fans(Shape shape)
    {
        if (shape.Rank < 2)
            throw new ArgumentException($"Fan-in and fan-out need a tensor with at least 2 axes but the shape is {shape}.", nameof(shape));
        var receptive = new Shape(shape.Dims[2..]).ElementCount;
        return (shape[1] * receptive, shape[0] * receptive);
    }

    /// <summary>Draws from U(a, b), like <c>uniform_</c>.</summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="a">The lower bound.</param>
    /// <param name="b">The upper bound.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Uniform(Key key, Shape shape, double a = 0, double b = 1, DType dtype = DType.Float32) =>
        Tensor.Uniform(key, shape, a, b, dtype);

    /// <summary>Draws from N(mean, std²), like <c>normal_</c>.</summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Normal(Key key, Shape shape, double mean = 0, double std = 1, DType dtype = DType.Float32) =>
        Tensor.Normal(key, shape, mean, std, dtype);

    /// <summary>
    /// Draws from N(mean, std²) truncated to [a, b], like <c>trunc_normal_</c>: by the inverse CDF,
    /// so every draw lies in [a, b] however little probability the interval has.
    /// </summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">The shape.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation.</param>
    /// <param name="a">The lower bound of the values.</param>
    /// <param name="b">The upper bound of the values.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor TruncNormal(Key key, Shape shape, double mean = 0, double std = 1, double a = -2, double b = 2, DType dtype = DType.Float32)
    {
        if (!(std > 0) || !double.IsFinite(std) || !double.IsFinite(mean) || !(a < b))
            throw new ArgumentException($"TruncNormal needs std > 0, a finite mean and a < b but got mean={mean}, std={std}, a={a}, b={b}.", nameof(std));
        var low = SpecialFunctions.NormalCdf((a - mean) / std);
        var high = SpecialFunctions.NormalCdf((b - mean) / std);
        var draws = GC.AllocateUninitializedArray<double>(shape.ElementCount);
        RandomBits.FillUnitInterval(key, DType.Float64, draws);
        for (var i = 0; i < draws.Length; i++)
        {
            var u = low + ((high - low) * draws[i]);
            var z = SpecialFunctions.Erfinv((2 * u) - 1) * Math.Sqrt(2);
            draws[i] = Math.Clamp(mean + (std * z), a, b);
        }
        return Tensor.FromDraws(draws, shape, dtype);
    }

    /// <summary>Every element <paramref name="value"/>, like <c>constant_</c>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="value">The value.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Constant(Shape shape, double value, DType dtype = DType.Float32) => Tensor.Full(shape, value, dtype);

    /// <summary>Zeros, like <c>zeros_</c>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32) => Tensor.Zeros(shape, dtype);

    /// <summary>Ones, like <c>ones_</c>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Ones(Shape shape, DType dtype = DType.Float32) => Tensor.Ones(shape, dtype);

    /// <summary>The identity matrix of a 2-D shape (ones on the main diagonal of a rectangle), like <c>eye_</c>.</summary>
    /// <param name="shape">A 2-D shape.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Eye(Shape shape, DType dtype = DType.Float32)
    {
        if (shape.Rank != 2)
            throw new ArgumentException($"Eye needs a 2-D shape but got {shape}.", nameof(shape));
        var cols = shape[1];
        var data = new double[shape.ElementCount];
        for (var i = 0; i < Math.Min(shape[0], cols); i++)
            data[(i * cols) + i] = 1;
        return Tensor.FromSpan(data, shape).To(dtype);
    }

    /// <summary>Xavier/Glorot uniform: U(−g√(6/(fan_in+fan_out)), +…), like <c>xavier_uniform_</c>.</summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">A shape of at least 2 axes.</param>
    /// <param name="gain">The gain (see CalculateGain).</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor XavierUniform(Key key, Shape shape, double gain = 1, DType dtype = DType.Float32)
    {
        var bound = Math.Sqrt(3.0) * XavierStd(shape, gain);
        return Tensor.Uniform(key, shape, -bound, bound, dtype);
    }

    /// <summary>Xavier/Glorot normal: N(0, g²·2/(fan_in+fan_out)), like <c>xavier_normal_</c>.</summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">A shape of at least 2 axes.</param>
    /// <param name="gain">The gain (see CalculateGain).</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor XavierNormal(Key key, Shape shape, double gain = 1, DType dtype = DType.Float32) =>
        Tensor.Normal(key, shape, 0, XavierStd(shape, gain), dtype);

    /// <summary>
    /// Kaiming/He uniform: U(−b, b) with b = gain·√(3/fan), like <c>kaiming_uniform_</c> (defaults a = 0, fan-in,
    /// leaky ReLU). <c>nn.Linear</c> uses a = √5, which gives b = 1/√fan_in. A zero-element shape gives an empty tensor.
    /// </summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">A shape of at least 2 axes.</param>
    /// <param name="a">The negative slope of the leaky ReLU that follows (√5 for nn.Linear's default).</param>
    /// <param name="mode">Whether to preserve the forward (fan-in) or backward (fan-out) variance.</param>
    /// <param name="nonlinearity">The non-linearity that follows.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor KaimingUniform(Key key, Shape shape, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, DType dtype = DType.Float32)
    {
        if (shape.ElementCount == 0)
            return Tensor.Zeros(shape, dtype);
        var bound = Math.Sqrt(3.0) * KaimingStd(shape, a, mode, nonlinearity);
        return Tensor.Uniform(key, shape, -bound, bound, dtype);
    }

    /// <summary>Kaiming/He normal: N(0, (gain/√fan)²), like <c>kaiming_normal_</c>.</summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">A shape of at least 2 axes.</param>
    /// <param name="a">The negative slope of the leaky ReLU that follows.</param>
    /// <param name="mode">Whether to preserve the forward (fan-in) or backward (fan-out) variance.</param>
    /// <param name="nonlinearity">The non-linearity that follows.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor KaimingNormal(Key key, Shape shape, double a = 0, FanMode mode = FanMode.FanIn, Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, DType dtype = DType.Float32)
    {
        if (shape.ElementCount == 0)
            return Tensor.Zeros(shape, dtype);
        return Tensor.Normal(key, shape, 0, KaimingStd(shape, a, mode, nonlinearity), dtype);
    }

    /// <summary>
    /// A (semi-)orthogonal matrix times <paramref name="gain"/>, like <c>orthogonal_</c>: the Q of a QR
    /// decomposition of a standard normal matrix, with R's diagonal made positive; shapes of more than
    /// two axes are flattened to [shape[0], rest].
    /// </summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">A shape of at least 2 axes.</param>
    /// <param name="gain">The factor the orthogonal matrix is scaled by.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Orthogonal(Key key, Shape shape, double gain = 1, DType dtype = DType.Float32)
    {
        if (shape.Rank < 2)
            throw new ArgumentException($"Orthogonal needs a tensor with at least 2 axes but the shape is {shape}.", nameof(shape));
        if (shape.ElementCount == 0)
            return Tensor.Zeros(shape, dtype);
        var rows = shape[0];
        var cols = shape.ElementCount / rows;
        var tall = rows >= cols;
        var (m, n) = tall ? (rows, cols) : (cols, rows);
        var sample = Tensor.Normal(key, new Shape(rows, cols), dtype: DType.Float64).ToFloat64Array();
        var q = tall ? sample : Transposed(sample, rows, cols);
        OrthonormalizeColumns(q, m, n);
        var result = tall ? q : Transposed(q, m, n);
        for (var i = 0; i < result.Length; i++)
            result[i] *= gain;
        return Tensor.FromSpan(result, shape).To(dtype);
    }

    /// <summary>
    /// A sparse matrix, like <c>sparse_</c>: N(0, std²) with ⌈sparsity·rows⌉ randomly chosen elements of every column set to zero.
    /// </summary>
    /// <param name="key">The key to draw from.</param>
    /// <param name="shape">A 2-D shape.</param>
    /// <param name="sparsity">The fraction of each column set to zero.</param>
    /// <param name="std">The standard deviation of the others.</param>
    /// <param name="dtype">float32 or float64.</param>
    public static Tensor Sparse(Key key, Shape shape, double sparsity, double std = 0.01, DType dtype = DType.Float32)
    {
        if (shape.Rank != 2)
            throw new ArgumentException($"Sparse needs a 2-D shape but got {shape}.", nameof(shape));
        if (!(sparsity >= 0 && sparsity <= 1))
            throw new ArgumentOutOfRangeException(nameof(sparsity), sparsity, "Sparsity must lie in [0, 1].");
        var (rows, cols) = (shape[0], shape[1]);
        var (valueKey, maskKey) = key.Split();
        var values = Tensor.Normal(valueKey, shape, 0, std, DType.Float64).ToFloat64Array();
        var zeros = (int)Math.Ceiling(sparsity * rows);
        for (var col = 0; col < cols; col++)
        {
            var columnKey = maskKey.Fold((ulong)col);
            var order = Enumerable.Range(0, rows).OrderBy(r => RandomBits.UnitInterval(columnKey, r, DType.Float64)).ThenBy(r => r);
            foreach (var row in order.Take(zeros))
                values[(row * cols) + col] = 0;
        }
        return Tensor.FromSpan(values, shape).To(dtype);
    }

    private static double XavierStd(Shape shape, double gain)
    {
        var (fanIn, fanOut) = Fans(shape);
        return fanIn + fanOut == 0 ? 0 : gain * Math.Sqrt(2.0 / (fanIn + fanOut));
    }

    private static double KaimingStd(Shape shape, double a, FanMode mode, Nonlinearity nonlinearity)
    {
        var (fanIn, fanOut) = Fans(shape);
        var fan = mode == FanMode.FanIn ? fanIn : fanOut;
        var gain = CalculateGain(nonlinearity, a);
        return gain / Math.Sqrt(fan);
    }

    private static double[] Transposed(double[] matrix, int rows, int cols)
    {
        var result = new double[matrix.Length];
        Transposition.Transpose<double>(matrix, rows, cols, cols, result, rows);
        return result;
    }

    /// <summary>
    /// Modified Gram–Schmidt, run twice for numerical orthogonality, on the n columns of a row-major m×n matrix (m ≥ n):
    /// the result is the Q of the QR decomposition whose R has a positive diagonal.
    /// </summary>
    private static void OrthonormalizeColumns(double[] a, int m, int n)
    {
        for (var j = 0; j < n; j++)
        {
            for (var pass = 0; pass < 2; pass++)
            {
                for (var p = 0; p < j; p++)
                {
                    var dot = 0.0;
                    for (var i = 0; i < m; i++)
                        dot += a[(i * n) + p] * a[(i * n) + j];
                    for (var i = 0; i < m; i++)
                        a[(i * n) + j] -= dot * a[(i * n) + p];
                }
            }
            var norm = 0.0;
            for (var i = 0; i < m; i++)
                norm += a[(i * n) + j] * a[(i * n) + j];
            norm = Math.Sqrt(norm);
            for (var i = 0; i < m; i++)
                a[(i * n) + j] /= norm;
        }
    }
}
