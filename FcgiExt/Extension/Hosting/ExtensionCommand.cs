using FcgiExt.DbgEng;

namespace FcgiExt.Extension.Hosting;

/// <summary>Declares a command's name, one-line summary and usage; !help and -? print them.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class ExtensionCommandAttribute(string name, string summary) : Attribute
{
    public string Name { get; } = name;
    public string Summary { get; } = summary;
    /// <summary>Usage lines, one per form.</summary>
    public string[] Usage { get; init; } = [];
}

/// <summary>What a command gets: the engine's interfaces for this call and the output service.</summary>
public sealed class CommandContext(EngineInterfaces engine, DebuggerOutput output)
{
    public EngineInterfaces Engine { get; } = engine;
    public DebuggerOutput Output { get; } = output;

    /// <summary>Ctrl+Break in the debugger (IDebugControl::GetInterrupt); long loops check it.</summary>
    public bool Interrupted => Engine.InterruptRequested();
}

public abstract class ExtensionCommand
{
    /// <summary>Runs the command; returns an HRESULT (S_OK, or a failure after printing one line saying why).</summary>
    public abstract int Execute(CommandContext context, ExtensionArguments args);
}
