using System.CommandLine;
using System.Text;

namespace FcgiExt.Cli.Commands;

/// <summary>The short usage printed with every usage error: the error in one line each, the command's synopsis, and
/// where the whole help is. Exit code 2 goes with it (README: "2 usage error").</summary>
public static class Usage
{
    /// <summary>The parser's errors, then the short usage of the command they were found in.</summary>
    public static void WriteErrors(ParseResult parse, TextWriter stderr)
    {
        var command = parse.CommandResult.Command;
        string path = PathOf(command);
        // A command group (fcgi, fcgi rules) gets one plain line: the parser would also say "Required command was not
        // provided" after an unknown word, and the unknown word is the error worth reading.
        var messages = command.Subcommands.Count > 0 && command.Action is null
            ? [parse.UnmatchedTokens.FirstOrDefault() is not { } word ? "give a command"
               : FcgiCli.LooksLikeOption(word) ? $"unknown option '{word}'" : $"unknown command '{word}'"]
            : parse.Errors.Select(e => OneLine(e.Message)).Distinct().ToList();
        foreach (var m in messages) stderr.WriteLine($"{path}: {m}");
        Write(command, stderr);
    }

    /// <summary>The short usage of the command at this path below the root (`Write(stderr, "triage")`).</summary>
    public static void Write(TextWriter stderr, params string[] path)
    {
        Command command = FcgiCli.CreateRoot();
        foreach (var name in path)
            command = command.Subcommands.FirstOrDefault(c => c.Name == name)
                      ?? throw new ArgumentException($"no command {string.Join(' ', path)}", nameof(path));
        Write(command, stderr);
    }

    public static void Write(Command command, TextWriter stderr)
    {
        string path = PathOf(command);
        stderr.WriteLine($"Usage: {Synopsis(command)}   ({path} --help says more)");
        var subcommands = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        if (subcommands.Count > 0) stderr.WriteLine($"Commands: {string.Join(", ", subcommands)}");
    }

    /// <summary>`fcgi explain <code>... [options]`: the command, required options, positional arguments.</summary>
    public static string Synopsis(Command command)
    {
        var s = new StringBuilder(PathOf(command));
        if (command.Subcommands.Any(c => !c.Hidden)) s.Append(" <command>");
        foreach (var argument in command.Arguments.Where(a => !a.Hidden))
        {
            string many = argument.Arity.MaximumNumberOfValues > 1 ? "..." : "";
            s.Append(argument.Arity.MinimumNumberOfValues == 0 ? $" [<{argument.Name}>{many}]" : $" <{argument.Name}>{many}");
        }
        foreach (var option in command.Options.Where(o => o.Required && !o.Hidden))
            s.Append($" {option.Name} <{option.HelpName ?? option.Name.TrimStart('-')}>");
        return s.Append(" [options]").ToString();
    }

    /// <summary>Makes a path that does not exist a usage error at parse time: "x: no such file or folder", exit 2 with the
    /// short usage, before any catalog is loaded or dump read. Option-like tokens are left to FcgiCli's own check.</summary>
    public static Argument<T> ExistingPaths<T>(Argument<T> argument)
    {
        argument.Validators.Add(result => CheckPaths(result.Tokens.Select(t => t.Value), result.AddError));
        return argument;
    }

    public static Option<T> ExistingPaths<T>(Option<T> option)
    {
        option.Validators.Add(result => CheckPaths(result.Tokens.Select(t => t.Value), result.AddError));
        return option;
    }

    static void CheckPaths(IEnumerable<string> paths, Action<string> addError)
    {
        foreach (var path in paths)
            if (!FcgiCli.LooksLikeOption(path) && !File.Exists(path) && !Directory.Exists(path))
                addError($"{path}: no such file or folder");
    }

    /// <summary>"fcgi rules lint": the names from the root down, the root called fcgi whatever the executable is.</summary>
    public static string PathOf(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = c.Parents.FirstOrDefault())
            names.Add(c is RootCommand ? FcgiCli.Name : c.Name);
        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The parser lists allowed values one a line, tab-indented, and names .NET types: one plain line instead.</summary>
    static string OneLine(string message)
    {
        string line = string.Join(' ', message.Split(['\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()));
        return line.Replace("' '", "', '", StringComparison.Ordinal)
                   .Replace(" as expected type 'System.Int32'", " as a whole number", StringComparison.Ordinal);
    }
}
