namespace FcgiExt.IisConfig;

/// <summary>appcmd commands in the form RulesEngine's NextSteps prints them (`%windir%\system32\inetsrv\appcmd.exe set
/// config -section:… /[fullPath='…'].attribute:value`), built for one application's key.</summary>
public static class Appcmd
{
    public const string Exe = @"%windir%\system32\inetsrv\appcmd.exe";
    const string FastCgi = "-section:system.webServer/fastCgi";

    /// <summary>The collection selector: arguments are part of the key, so they go in when the pool has them.</summary>
    static string Selector(FastCgiApplication app) =>
        app.Arguments.Length == 0 ? $"[fullPath='{app.FullPath}']" : $"[fullPath='{app.FullPath}',arguments='{app.Arguments}']";

    /// <summary>cmd.exe splits at spaces, so an argument holding one ("C:\Program Files\…") is quoted whole.</summary>
    static string Arg(string s) => s.Contains(' ') ? $"\"{s}\"" : s;

    public static string Set(FastCgiApplication app, string attribute, string value) =>
        $"{Exe} set config {FastCgi} {Arg($"/{Selector(app)}.{attribute}:{value}")}";

    /// <summary>Sets an environment variable: the existing entry's value, or a new entry.</summary>
    public static string SetEnvironment(FastCgiApplication app, string name, string value) =>
        app.Environment(name) is { } existing
            ? $"{Exe} set config {FastCgi} {Arg($"/{Selector(app)}.environmentVariables.[name='{existing.Name}'].value:{value}")}"
            : $"{Exe} set config {FastCgi} /+\"{Selector(app)}.environmentVariables.[name='{name}',value='{value}']\"";

    public static string RemoveEnvironment(FastCgiApplication app, string name) =>
        $"{Exe} set config {FastCgi} /-\"{Selector(app)}.environmentVariables.[name='{app.Environment(name)?.Name ?? name}']\"";

    public static string AddApplication(string fullPath, string arguments) =>
        $"{Exe} set config {FastCgi} /+\"[fullPath='{fullPath}'" + (arguments.Length == 0 ? "" : $",arguments='{arguments}'") + "]\"";

    /// <summary>A handler's scriptProcessor; `configPath` is the site or location path the mapping lives at ("" = server).</summary>
    public static string SetScriptProcessor(string configPath, string handler, string scriptProcessor) =>
        $"{Exe} set config " + (configPath.Length == 0 ? "" : $"\"{configPath}\" ") +
        $"-section:system.webServer/handlers {Arg($"/[name='{handler}'].scriptProcessor:{scriptProcessor}")}";
}
