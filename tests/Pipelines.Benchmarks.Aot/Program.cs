using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Pipelines.Autodiff;
using Pipelines.Layers;
using Pipelines.Losses;
using Pipelines.Optim;
using Pipelines.Tensors;

// One AdamW training step of the 784-256-128-10 MLP at batch 64: the median of 200 after 2 s of warm-up (so the JIT
// has promoted the kernels to optimised code; AOT code is optimised from the start).
var label = args.FirstOrDefault() ?? "jit";
var keys = new Key(0).Split(4);
Layer mlp = new Linear(keys[0], 784, 256) >> new ReLU() >> new Linear(keys[1], 256, 128) >> new ReLU() >> new Linear(keys[2], 128, 10);
var x = Tensor.Normal(keys[3], new Shape(64, 784));
long[] labels = [.. Enumerable.Range(0, 64).Select(i => (long)(i % 10))];
var optimizer = Optimizers.AdamW(1e-3);
var state = optimizer.Init(mlp);
var times = new List<double>();
var warmUp = Stopwatch.StartNew();
for (var i = 0; times.Count < 200; i++)
{
    var started = Stopwatch.GetTimestamp();
    var step = Gradients.ValueAndGrad(mlp, x, y => Loss.CrossEntropy(y, labels), ForwardContext.Training(new Key(1).Fold((ulong)i)));
    (mlp, state) = optimizer.Step(step, state);
    if (warmUp.Elapsed > TimeSpan.FromSeconds(2))
        times.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
}
times.Sort();
var widths = $"Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, FMA {Fma.IsSupported}";
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label,-22} {times[times.Count / 2],10:F0} µs per step   ({widths})"));
