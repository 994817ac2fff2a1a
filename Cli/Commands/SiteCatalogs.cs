using System.CommandLine;
using FcgiExt.RulesEngine.Catalog;

namespace FcgiExt.Cli.Commands;

/// <summary>The CLI's side of catalog layering: the one `--rules` option every command takes, and the plan from
/// <see cref="CatalogLayers"/> with this process's FCGIEXT_RULES.</summary>
public static class SiteCatalogs
{
    public const string RulesDescription =
        "A site catalog (YAML file or folder) layered over the built-in one and FCGIEXT_RULES; may be given more than once";

    public static Option<string[]> RulesOption() => Usage.ExistingPaths(new Option<string[]>("--rules")
    {
        Description = RulesDescription,
        HelpName = "file|folder",
    });

    /// <summary>The layers for these dump folders and given paths (FCGIEXT_RULES read here, once).</summary>
    public static IReadOnlyList<CatalogLayer> Plan(IEnumerable<string>? dumpFolders, IEnumerable<string> given) =>
        CatalogLayers.Plan(Environment.GetEnvironmentVariable(CatalogLayers.EnvironmentVariable), dumpFolders, given);

    /// <summary>Says on stderr which layers came from somewhere the user did not type on this command line.</summary>
    public static void Announce(IReadOnlyList<CatalogLayer> layers, string command, TextWriter stderr)
    {
        foreach (var layer in layers.Where(l => l.Source != CatalogLayerSource.Given))
            stderr.WriteLine($"{command}: using the site catalog {layer.Describe()}");
    }
}
