using Pipelines.Layers;
using Pipelines.Tensors;

namespace Pipelines.Serving.Tests;

/// <summary>A model whose forward passes wait at a gate the test closes and opens (open at first), so requests can be held in flight.</summary>
internal sealed record Gate(Layer Inner) : Layer, IDisposable
{
    private readonly ManualResetEventSlim _open = new(true);

    public ManualResetEventSlim Entered { get; } = new(false);

    public override LayerParts Parts => new() { Children = [("inner", Inner)] };

    public void Close()
    {
        Entered.Reset();
        _open.Reset();
    }

    public void Open() => _open.Set();

    public void Dispose()
    {
        _open.Set();
        _open.Dispose();
        Entered.Dispose();
    }

    protected override Layer Rebuild(LayerParts parts) => this with { Inner = parts.Child<Layer>("inner") };

    protected override Traced ForwardCore(Tensor x, ForwardContext context)
    {
        Entered.Set();
        _open.Wait(TimeSpan.FromSeconds(30));
        var inner = Inner.Forward(x, context.Child("inner"));
        return new Traced(inner.Output, inner.Trace, this);
    }

    protected override (Tensor? Dx, Layer Gradient) BackwardCore(Trace trace, Tensor dy, bool inputGradient) => throw new NotSupportedException("Served only.");
}
