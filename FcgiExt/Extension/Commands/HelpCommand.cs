using Dbg = FcgiExt.DbgEng.DbgEng;
using System.Reflection;
using FcgiExt.DbgEng;
using FcgiExt.Extension.Hosting;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.Extension.Commands;

[ExtensionCommand("help", "This list.", Usage = ["!help [/D]", "!<command> -?   usage of one command"])]
public sealed class HelpCommand : ExtensionCommand
{
    /// <summary>Every command, in the order !help lists them.</summary>
    static readonly Type[] Commands = [typeof(FcgiCommand), typeof(FcgiSymCommand), typeof(FcgiRulesCommand), typeof(HelpCommand)];

    public override int Execute(CommandContext context, ExtensionArguments args)
    {
        var o = context.Output;
        while (!args.AtEnd)
        {
            var option = args.NextOption() ?? throw new UsageException($"unexpected argument '{args.NextWord()}'");
            if (option is "d" or "dml") o.UseDml();
            else if (option is not ("?" or "h" or "help")) throw new UsageException($"unknown option -{option}");
        }
        o.Bold("FcgiExt — who owns a FastCGI worker crash (php-cgi.exe, ruby.exe under IIS)");
        o.Line();
        o.Line($"version {RulesEngine.ProductInfo.Version}; documentation: {RulesEngine.ProductInfo.Readme}");
        o.Line();
        foreach (var t in Commands)
        {
            var a = t.GetCustomAttribute<ExtensionCommandAttribute>()!;
            o.Line($"  !{a.Name,-10} {a.Summary}");
        }
        o.Line();
        o.Line("Typical session:  .load fcgiext  then  !fcgi   (-v: why each frame was skipped or chosen; /D: DML links)");
        o.Line("Site rules: YAML files in a `rules` folder next to fcgiext.dll, or named by FCGIEXT_RULES, layer over the built-in " +
            "catalog.");
        return Dbg.S_OK;
    }

    public static void PrintUsage<TCommand>(ReportOutput o) where TCommand : ExtensionCommand
    {
        var a = typeof(TCommand).GetCustomAttribute<ExtensionCommandAttribute>()!;
        o.Line($"!{a.Name} — {a.Summary}");
        foreach (var line in a.Usage) o.Line($"  {line}");
        o.Line($"FcgiExt {RulesEngine.ProductInfo.Version}; documentation: {RulesEngine.ProductInfo.Readme}");
    }
}
