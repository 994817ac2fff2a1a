using System.CommandLine;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.Cli.Commands;

/// <summary>`fcgi explain &lt;code&gt;`: what an exit or exception code from an IIS 500 page means and what to do.</summary>
public static class ExplainCommand
{
    public const int Ok = 0, UsageError = 2;

    public static readonly Argument<string[]> CodeArgument = new("code")
    {
        Description = "The code as IIS shows it (\"Error Code 0xc0000005\", 0xc0000005, -1073741819, 3221225477, 255, 0xff); words " +
            "around it are ignored",
        Arity = ArgumentArity.OneOrMore,
    };

    public static readonly Option<string> ProcessOption = new("--process")
    {
        Description = "The worker's image name, for the commands in the next steps (default php-cgi.exe)",
        DefaultValueFactory = _ => NextSteps.DefaultProcess,
        HelpName = "name.exe",
    };

    public static Command Create()
    {
        var command = new Command("explain",
            "Decode an exit or exception code (as the IIS FastCGI error page shows it) into its class and next steps.");
        command.Arguments.Add(CodeArgument);
        command.Options.Add(ProcessOption);
        command.SetAction(parse => Run(string.Join(' ', parse.GetValue(CodeArgument) ?? []),
            parse.GetValue(ProcessOption) ?? NextSteps.DefaultProcess,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return command;
    }

    public static int Run(string input, string process, TextWriter stdout, TextWriter stderr)
    {
        if (!ExitCodeExplainer.TryParse(input, out uint code, out string reading, out string error))
        {
            stderr.WriteLine($"fcgi explain: {error}");
            Usage.Write(stderr, "explain");
            return UsageError;
        }
        var e = ExitCodeExplainer.Explain(code, input, reading, process);
        stdout.WriteLine($"0x{e.Code:x8} = {unchecked((int)e.Code)} = {e.Code}  (read as {e.Reading})");
        stdout.WriteLine($"{e.Name}" + (e.SymbolicName is null || e.Name.Contains(e.SymbolicName) ? "" : $"  [{e.SymbolicName}]"));
        stdout.WriteLine($"kind:  {e.Kind}");
        stdout.WriteLine($"class: {e.Class}");
        if (e.Detail is not null) stdout.WriteLine(e.Detail);
        if (e.NextSteps.Count > 0)
        {
            stdout.WriteLine();
            stdout.WriteLine("Next steps");
            int n = 1;
            foreach (var step in e.NextSteps)
            {
                stdout.WriteLine($"  {n++}. {step.Text}");
                if (step.Command is not null) stdout.WriteLine($"       {step.Command}");
            }
        }
        return Ok;
    }
}
