using System.CommandLine;
using System.CommandLine.Invocation;
using FcgiExt.Cli.Commands;

namespace FcgiExt.Cli;

/// <summary>The `fcgi` command line: the command tree, and one rule for usage errors (exit 2, the error and a short
/// usage on stderr) instead of System.CommandLine's default (exit 1, the whole help on stdout).</summary>
public static class FcgiCli
{
    public const int UsageError = 2;
    public const string Name = "fcgi";

    public static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "FcgiExt: who owns a FastCGI worker crash (php-cgi.exe, ruby.exe under IIS) and what to do next.");
        foreach (var command in CommandRegistry.All())
            root.Subcommands.Add(command);
        RejectOptionLikeArguments(root);
        return root;
    }

    /// <summary>Runs the command line. Commands still write to Console themselves; the writers carry the usage errors
    /// and the help, so tests can read them.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var parse = CreateRoot().Parse(args);
        // --help clears parse errors (its action runs); any other parse error stops here.
        if (parse.Action is ParseErrorAction)
        {
            Usage.WriteErrors(parse, stderr);
            return UsageError;
        }
        return parse.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }

    /// <summary>A token such as `--bogus` that names no option is taken by a command's positional argument (paths,
    /// codes): make it the usage error it is. A negative number (`fcgi explain -1073741819`) and an existing file
    /// whose name starts with '-' stay arguments.</summary>
    static void RejectOptionLikeArguments(Command command)
    {
        // The worker's own command line after `fcgi capture --` is passed through as it is.
        foreach (var argument in command.Arguments.Where(a => !ReferenceEquals(a, Commands.CaptureCommand.CommandLineArgument)))
            argument.Validators.Add(result =>
            {
                foreach (var token in result.Tokens)
                    if (LooksLikeOption(token.Value) && !File.Exists(token.Value) && !Directory.Exists(token.Value))
                        result.AddError($"Unrecognized option '{token.Value}'.");
            });
        foreach (var sub in command.Subcommands) RejectOptionLikeArguments(sub);
    }

    public static bool LooksLikeOption(string token) =>
        token.StartsWith("--", StringComparison.Ordinal) && token.Length > 2
        || token.Length > 1 && token[0] == '-' && char.IsAsciiLetter(token[1]);
}
