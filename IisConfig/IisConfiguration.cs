using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace FcgiExt.IisConfig;

/// <summary>One `<environmentVariable name value>` of a FastCGI application.</summary>
public sealed record EnvironmentVariable(string Name, string Value, SourceLocation Location);

/// <summary>
/// A `system.webServer/fastCgi/application`: a process pool, keyed by fullPath and arguments. Numeric settings are null
/// when the attribute is absent, so a check can tell "left at IIS's default" from "set to the default".
/// </summary>
public sealed record FastCgiApplication
{
    public required string FullPath { get; init; }
    public string Arguments { get; init; } = "";
    public long? MaxInstances { get; init; }
    public long? InstanceMaxRequests { get; init; }
    public long? ActivityTimeout { get; init; }
    public long? RequestTimeout { get; init; }
    public long? IdleTimeout { get; init; }
    public long? RapidFailsPerMinute { get; init; }
    public long? QueueLength { get; init; }
    public string? Protocol { get; init; }
    public string? StderrMode { get; init; }
    public string? MonitorChangesTo { get; init; }
    public IReadOnlyList<EnvironmentVariable> EnvironmentVariables { get; init; } = [];
    public required SourceLocation Location { get; init; }
    /// <summary>Where each attribute was written, by attribute name.</summary>
    public IReadOnlyDictionary<string, SourceLocation> Attributes { get; init; } = new Dictionary<string, SourceLocation>();

    /// <summary>IIS's own defaults (the schema of system.webServer/fastCgi, IIS 8.0 and later).</summary>
    public const long DefaultInstanceMaxRequests = 200, DefaultActivityTimeout = 70, DefaultRequestTimeout = 90,
        DefaultRapidFailsPerMinute = 10, DefaultQueueLength = 1000, DefaultMaxInstances = 0;

    /// <summary>The pool's key as a handler's scriptProcessor names it: `fullPath|arguments`, or fullPath alone.</summary>
    public string Key => Arguments.Length == 0 ? FullPath : $"{FullPath}|{Arguments}";

    public EnvironmentVariable? Environment(string name) =>
        EnvironmentVariables.LastOrDefault(v => string.Equals(v.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Where to point for a setting: its attribute when written, else the application element.</summary>
    public SourceLocation Where(string attribute) => Attributes.TryGetValue(attribute, out var l) ? l : Location;

    public bool IsPhp => WindowsPath.FileName(FullPath).StartsWith("php", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A `system.webServer/handlers/add`, with the `<location path>` it sits under ("" at the top).</summary>
public sealed record HandlerMapping(string Name, string Path, string Modules, string? ScriptProcessor, string LocationPath,
    SourceLocation Location)
{
    public bool IsFastCgi => Modules.Split(',').Any(m => string.Equals(m.Trim(), "FastCgiModule", StringComparison.OrdinalIgnoreCase));
}

/// <summary>The FastCGI side of IIS's configuration files: applications from every file given, handlers from each.</summary>
public sealed partial class IisConfiguration
{
    public IReadOnlyList<string> Files { get; }
    public IReadOnlyList<FastCgiApplication> Applications { get; }
    public IReadOnlyList<HandlerMapping> Handlers { get; }

    IisConfiguration(IReadOnlyList<string> files, IReadOnlyList<FastCgiApplication> apps, IReadOnlyList<HandlerMapping> handlers)
    {
        Files = files; Applications = apps; Handlers = handlers;
    }

    /// <summary>Reads applicationHost.config first, then each web.config, in order.</summary>
    /// <exception cref="ConfigFileException">A file that cannot be read or is not well-formed XML.</exception>
    public static IisConfiguration Load(IEnumerable<string> paths) =>
        Parse(paths.Select(p => (p, Read(p))));

    static string Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigFileException(path, 0, 0, $"cannot read: {e.Message}");
        }
    }

    public static IisConfiguration Parse(IEnumerable<(string File, string Text)> files)
    {
        var names = new List<string>();
        var apps = new List<FastCgiApplication>();
        var handlers = new List<HandlerMapping>();
        foreach (var (file, text) in files)
        {
            names.Add(file);
            var root = LoadXml(file, text).Root!;
            ReadScope(file, root, "", apps, handlers);
            foreach (var location in root.Elements("location"))
                ReadScope(file, location, (string?)location.Attribute("path") ?? "", apps, handlers);
        }
        return new IisConfiguration(names, apps, handlers);
    }

    static XDocument LoadXml(string file, string text)
    {
        try
        {
            var doc = XDocument.Parse(text, LoadOptions.SetLineInfo);
            if (doc.Root?.Name.LocalName != "configuration")
                throw new ConfigFileException(file, Line(doc.Root), Column(doc.Root),
                    $"the root element is <{doc.Root?.Name.LocalName}>, an IIS configuration file has <configuration>");
            return doc;
        }
        catch (XmlException e)
        {
            // XmlException's message ends with its own "Line n, position m."; the location goes in front instead.
            throw new ConfigFileException(file, e.LineNumber, e.LinePosition, TrailingPosition().Replace(e.Message, "").Trim());
        }
    }

    [GeneratedRegex(@"\s*Line \d+, position \d+\.\s*$")]
    private static partial Regex TrailingPosition();

    static int Line(XObject? o) => o is IXmlLineInfo i && i.HasLineInfo() ? i.LineNumber : 0;
    static int Column(XObject? o) => o is IXmlLineInfo i && i.HasLineInfo() ? i.LinePosition : 0;
    static SourceLocation At(string file, XObject o) => new(file, Line(o), Column(o));

    static void ReadScope(string file, XElement scope, string locationPath, List<FastCgiApplication> apps, List<HandlerMapping> handlers)
    {
        foreach (var web in scope.Elements("system.webServer"))
        {
            foreach (var fastCgi in web.Elements("fastCgi"))
                foreach (var element in fastCgi.Elements("application"))
                {
                    var app = ReadApplication(file, element);
                    // IIS's configuration system refuses a collection with two entries of one key, and so does the check.
                    if (apps.FirstOrDefault(a => WindowsPath.Same(a.FullPath, app.FullPath) && a.Arguments == app.Arguments) is { } first)
                        throw new ConfigFileException(file, app.Location.Line, app.Location.Column,
                            $"a second fastCgi application \"{app.Key}\" (the first is at {first.Location}): IIS refuses duplicate keys");
                    apps.Add(app);
                }
            foreach (var section in web.Elements("handlers"))
                ReadHandlers(file, section, locationPath, handlers);
        }
    }

    static FastCgiApplication ReadApplication(string file, XElement e)
    {
        var fullPath = (string?)e.Attribute("fullPath");
        if (string.IsNullOrWhiteSpace(fullPath))
            throw new ConfigFileException(file, Line(e), Column(e), "a fastCgi <application> without fullPath (IIS requires it)");
        var env = e.Element("environmentVariables")?.Elements("environmentVariable")
            .Select(v => new EnvironmentVariable((string?)v.Attribute("name") ?? "", (string?)v.Attribute("value") ?? "", At(file, v)))
            .ToList() ?? [];
        return new FastCgiApplication
        {
            FullPath = fullPath,
            Arguments = (string?)e.Attribute("arguments") ?? "",
            MaxInstances = Number(file, e, "maxInstances"),
            InstanceMaxRequests = Number(file, e, "instanceMaxRequests"),
            ActivityTimeout = Number(file, e, "activityTimeout"),
            RequestTimeout = Number(file, e, "requestTimeout"),
            IdleTimeout = Number(file, e, "idleTimeout"),
            RapidFailsPerMinute = Number(file, e, "rapidFailsPerMinute"),
            QueueLength = Number(file, e, "queueLength"),
            Protocol = Choice(file, e, "protocol", "NamedPipe", "Tcp"),
            StderrMode = Choice(file, e, "stderrMode", "ReturnStdErrIn500", "ReturnGeneric500", "IgnoreAndReturn200", "TerminateProcess"),
            MonitorChangesTo = (string?)e.Attribute("monitorChangesTo"),
            EnvironmentVariables = env,
            Location = At(file, e),
            Attributes = e.Attributes().ToDictionary(a => a.Name.LocalName, a => At(file, a), StringComparer.Ordinal),
        };
    }

    /// <summary>IIS stores these as uint: anything else is an error IIS itself would refuse to load.</summary>
    static long? Number(string file, XElement e, string name)
    {
        if (e.Attribute(name) is not { } a) return null;
        if (!uint.TryParse(a.Value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v))
            throw new ConfigFileException(file, Line(a), Column(a), $"{name}=\"{a.Value}\" is not a whole number from 0 to 4294967295");
        return v;
    }

    /// <summary>An enumeration attribute: one of its names (any case) or its number in the schema, as IIS accepts them.</summary>
    static string? Choice(string file, XElement e, string name, params string[] names)
    {
        if (e.Attribute(name) is not { } a) return null;
        var v = a.Value.Trim();
        if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int i) && i < names.Length) return names[i];
        return names.FirstOrDefault(n => n.Equals(v, StringComparison.OrdinalIgnoreCase))
               ?? throw new ConfigFileException(file, Line(a), Column(a), $"{name}=\"{a.Value}\" is none of {string.Join(", ", names)}");
    }

    /// <summary>add, remove and clear in document order, within one scope (a file's top level or one location): a
    /// remove in one place does not fix a broken mapping that other sites still inherit.</summary>
    static void ReadHandlers(string file, XElement section, string locationPath, List<HandlerMapping> handlers)
    {
        foreach (var item in section.Elements())
        {
            string name = (string?)item.Attribute("name") ?? "";
            bool SameScope(HandlerMapping h) => h.Location.File == file && h.LocationPath == locationPath;
            switch (item.Name.LocalName)
            {
                case "add":
                    handlers.Add(new HandlerMapping(name, (string?)item.Attribute("path") ?? "", (string?)item.Attribute("modules") ?? "",
                        (string?)item.Attribute("scriptProcessor"), locationPath, At(file, item)));
                    break;
                case "remove":
                    handlers.RemoveAll(h => SameScope(h) && string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase));
                    break;
                case "clear":
                    handlers.RemoveAll(SameScope);
                    break;
            }
        }
    }
}
