using System.CommandLine;

namespace FcgiExt.Cli.Commands;

/// <summary>The list of subcommands; one class per command, each with a static Create().</summary>
public static class CommandRegistry
{
    public static IEnumerable<Command> All()
    {
        yield return TriageCommand.Create();
        yield return ExplainCommand.Create();
        yield return RulesCommand.Create();
        yield return EngineCommand.Create();
        yield return CaptureCommand.Create();
        yield return IisCheckCommand.CreateGroup();
        yield return ReproCommand.Create();
    }
}
