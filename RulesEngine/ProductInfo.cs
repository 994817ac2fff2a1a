using System.Reflection;

namespace FcgiExt.RulesEngine;

/// <summary>The one version of FcgiExt (Directory.Build.props plus the git commit the SDK appends): the extension
/// DLL's version resource, the engine host, `fcgi --version`, `!help` and the batch JSON all show this.</summary>
public static class ProductInfo
{
    public static string Version { get; } =
        typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(ProductInfo).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Where the documentation is: README.txt beside fcgiext.dll in a release zip, README.md in the source.</summary>
    public const string Readme = "README.txt beside fcgiext.dll (release zip), README.md of the source tree";
}
