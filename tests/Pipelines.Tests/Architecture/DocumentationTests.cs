using System.Reflection;
using System.Runtime.CompilerServices;
using System.Xml.Linq;
using Pipelines.Tensors;
using Xunit;

namespace Pipelines.Tests.Architecture;

/// <summary>
/// IntelliSense shows what the XML documentation says: every public or protected member that takes parameters
/// documents them (or inherits its documentation). The compiler already requires a summary on every public member
/// (CS1591) and, once a member documents one parameter, all of them (CS1573); this closes the gap of members that
/// document none.
/// </summary>
public sealed class DocumentationTests
{
    [Fact]
    public void Every_public_member_with_parameters_documents_them()
    {
        var assembly = typeof(Tensor).Assembly;
        var xml = XDocument.Load(Path.ChangeExtension(assembly.Location, ".xml"));
        var members = xml.Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, StringComparer.Ordinal);
        var undocumented = PublicMembersWithParameters(assembly)
            .Where(id => !members.TryGetValue(id, out var doc) || !Documents(doc))
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.True(undocumented.Count == 0, $"{undocumented.Count} public members take parameters without documenting them:\n{string.Join("\n", undocumented)}");
    }

    [Fact]
    public void The_check_computes_documentation_ids_as_the_compiler_writes_them()
    {
        var ids = PublicMembersWithParameters(typeof(Tensor).Assembly).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("M:Pipelines.Tensors.Tensor.FromArray(System.Single[],System.Int32[])", ids);
        Assert.Contains("M:Pipelines.Layers.Linear.#ctor(Pipelines.Tensors.Tensor,Pipelines.Tensors.Tensor)", ids);
        Assert.Contains("M:Pipelines.Autodiff.Gradients.ValueAndGrad``1(``0,Pipelines.Tensors.Tensor,System.Func{Pipelines.Tensors.Tensor,Pipelines.Losses.LossValue},Pipelines.Layers.ForwardContext)", ids);
        Assert.Contains("P:Pipelines.Tensors.Tensor.Row(System.Int32)", ids);
        Assert.Contains("T:Pipelines.Optim.Schedule", ids);
        Assert.Contains("M:Pipelines.Layers.Variable.op_Implicit(Pipelines.Tensors.Tensor)~Pipelines.Layers.Variable", ids);
        Assert.DoesNotContain(ids, id => id.Contains(".Own``1", StringComparison.Ordinal) || id.Contains("Deconstruct", StringComparison.Ordinal));
        var bare = XElement.Parse("<member name=\"M:X.F(System.Int32)\"><summary>f</summary></member>");
        Assert.False(Documents(bare));
    }

    private static IEnumerable<string> PublicMembersWithParameters(Assembly assembly)
    {
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.IsSubclassOf(typeof(Delegate)))
            {
                if (type.GetMethod("Invoke")!.GetParameters().Length > 0)
                    yield return "T:" + TypeName(type);
                continue;
            }
            foreach (var method in type.GetMethods(Declared).Cast<MethodBase>().Concat(type.GetConstructors(Declared)))
            {
                if (!Visible(method) || method.GetParameters().Length == 0 || method.IsDefined(typeof(CompilerGeneratedAttribute)) || (method.IsSpecialName && method is MethodInfo && !method.Name.StartsWith("op_", StringComparison.Ordinal)))
                    continue;
                var name = method is ConstructorInfo ? "#ctor" : method.Name;
                var generic = method is MethodInfo { IsGenericMethodDefinition: true } m ? "``" + m.GetGenericArguments().Length : string.Empty;
                // A conversion operator's ID names its result type too: op_Implicit(A)~B.
                var conversion = method is MethodInfo { Name: "op_Implicit" or "op_Explicit" } c ? "~" + ParameterTypeName(c.ReturnType) : string.Empty;
                yield return $"M:{TypeName(type)}.{name}{generic}({string.Join(",", method.GetParameters().Select(p => ParameterTypeName(p.ParameterType)))}){conversion}";
            }
            foreach (var property in type.GetProperties(Declared).Where(p => p.GetIndexParameters().Length > 0 && (p.GetMethod is { } get && Visible(get))))
                yield return $"P:{TypeName(type)}.{property.Name}({string.Join(",", property.GetIndexParameters().Select(p => ParameterTypeName(p.ParameterType)))})";
        }
    }

    private static bool Visible(MethodBase method) => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly;

    /// <summary>A declaring type as documentation IDs spell it: nested with '.', a generic definition with `n.</summary>
    private static string TypeName(Type type) => (type.FullName ?? type.Name).Replace('+', '.');

    /// <summary>A parameter's type as documentation IDs spell it: generic arguments in braces, `n and ``n for type and method parameters, arrays by rank.</summary>
    private static string ParameterTypeName(Type type)
    {
        if (type.IsGenericParameter)
            return (type.DeclaringMethod is null ? "`" : "``") + type.GenericParameterPosition;
        if (type.IsByRef)
            return ParameterTypeName(type.GetElementType()!) + "@";
        if (type.IsPointer)
            return ParameterTypeName(type.GetElementType()!) + "*";
        if (type.IsArray)
            return ParameterTypeName(type.GetElementType()!) + (type.GetArrayRank() == 1 ? "[]" : "[" + string.Join(",", Enumerable.Repeat("0:", type.GetArrayRank())) + "]");
        if (!type.IsGenericType)
            return TypeName(type);
        var name = TypeName(type.GetGenericTypeDefinition());
        return name[..name.IndexOf('`', StringComparison.Ordinal)] + "{" + string.Join(",", type.GetGenericArguments().Select(ParameterTypeName)) + "}";
    }

    private static bool Documents(XElement member) => member.Elements("param").Any() || member.Elements("inheritdoc").Any();
}
