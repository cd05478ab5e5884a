using FsCheck;
using FsCheck.Xunit;
using Pipelines.Examples.Layers;
using Pipelines.Layers;
using Pipelines.Tensors;
using Pipelines.Testing;

namespace Pipelines.Examples.Tests;

/// <summary>The examples' own layers pass the testing kit's laws, as any user's layer should.</summary>
[Properties(MaxTest = 15)]
public sealed class ExampleLayerLaws
{
    [Property]
    public Property The_VAE_gradients_are_right() =>
        LayerLaws.Gradients(new VariationalAutoencoder(new Linear(new Key(2), 5, 4), new Linear(new Key(3), 2, 5), 2), new Shape(5));

    [Property]
    public Property Cosine_logits_gradients_are_right() =>
        LayerLaws.Gradients(new CosineLogits(new Linear(new Key(4), 5, 3), new Linear(new Key(5), 4, 3), 4, 3), new Shape(5), minLeadingRank: 1, maxLeadingRank: 1);

    [Property]
    public Property The_VAE_runs_only_its_parts() =>
        LayerLaws.PathsAreParts(new VariationalAutoencoder(new Linear(new Key(2), 5, 4), new Linear(new Key(3), 2, 5), 2), new Shape(5));

    [Property]
    public Property Cosine_logits_run_only_their_parts() =>
        LayerLaws.PathsAreParts(new CosineLogits(new Linear(new Key(4), 5, 3), new Linear(new Key(5), 4, 3), 4, 3), new Shape(5));
}
