using System.CommandLine;
using FcgiExt.IisConfig;

namespace FcgiExt.Cli.Commands;

/// <summary>`fcgi iis check`: IIS's FastCGI settings and php.ini, checked against each other (docs/iis-check.md).</summary>
public static class IisCheckCommand
{
    public const int Ok = 0, Findings = 1, UsageError = 2;
    public const string DefaultConfig = @"%windir%\System32\inetsrv\config\applicationHost.config";

    public static Command CreateGroup()
    {
        var iis = new Command("iis", "Check the IIS side of FastCGI: the settings behind voluntary worker exits and 500s.");
        iis.Subcommands.Add(Create());
        return iis;
    }

    public static Command Create()
    {
        var config = Usage.ExistingPaths(new Argument<string?>("applicationHost.config")
        {
            Description = $"IIS's server configuration (default on Windows: {DefaultConfig}; required elsewhere)",
            Arity = ArgumentArity.ZeroOrOne,
        });
        var webConfigs = Usage.ExistingPaths(new Option<string[]>("--web-config")
        {
            Description = "A site's or application's web.config whose FastCGI handler mappings are checked too (repeatable)",
            HelpName = "file",
            AllowMultipleArgumentsPerToken = false,
        });
        var phpIni = Usage.ExistingPaths(new Option<string?>("--php-ini")
        {
            Description = "The php.ini to check against (default: the PHPRC of the application's environmentVariables, else php.ini " +
                          "beside its fullPath, when readable here)",
            HelpName = "file",
        });
        var format = new Option<string>("--format")
        {
            Description = "text (for a terminal, 100 columns) or json (docs/iis-check.schema.json)",
            DefaultValueFactory = _ => "text",
            HelpName = "text|json",
        };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("check",
            "Read system.webServer/fastCgi and the FastCGI handler mappings (and php.ini) and report each setting that makes " +
            "php-cgi exit under IIS or turns requests into 500s, with the appcmd command or php.ini line that fixes it. " +
            "Exit 0: nothing to fix; 1: warnings or errors; 2: usage, or a file unreadable or malformed (file:line:col).");
        command.Arguments.Add(config);
        command.Options.Add(webConfigs);
        command.Options.Add(phpIni);
        command.Options.Add(format);
        command.SetAction(parse => Run(parse.GetValue(config), parse.GetValue(webConfigs) ?? [], parse.GetValue(phpIni),
            parse.GetValue(format) ?? "text", parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    /// <summary>The default applicationHost.config, which only Windows has.</summary>
    static string? DefaultPath() =>
        OperatingSystem.IsWindows() ? Environment.ExpandEnvironmentVariables(DefaultConfig) : null;

    public static int Run(string? config, IReadOnlyList<string> webConfigs, string? phpIni, string format, TextWriter stdout,
        TextWriter stderr)
    {
        config ??= DefaultPath();
        if (config is null)
        {
            stderr.WriteLine("fcgi iis check: name the applicationHost.config to check (the default, " +
                             $"{DefaultConfig}, exists only on Windows)");
            Usage.Write(stderr, "iis", "check");
            return UsageError;
        }
        IisCheckReport report;
        try
        {
            var iis = IisConfiguration.Load([config, .. webConfigs]);
            report = IisCheckReport.Run(iis, phpIni, DiskProbe.Instance);
        }
        catch (ConfigFileException e)
        {
            // A file without a line (cannot be read) is named alone.
            stderr.WriteLine(e.Line == 0 ? $"{e.File}: {e.Problem}" : e.Message);
            return UsageError;
        }
        stdout.Write(format == "json" ? report.ToJson() + "\n" : report.ToText());
        return report.NeedsAction ? Findings : Ok;
    }
}
