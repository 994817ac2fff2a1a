namespace FcgiExt.Fuzz;

/// <summary>How one kind of damaged input fared. Hangs, crashes and lost inputs are failures; a one-line error
/// naming the input is the right answer to most damage.</summary>
public sealed class Tally(string kind)
{
    public string Kind { get; } = kind;
    public int Cases, Triaged, Errors, Hangs, Crashes, Lost;
    /// <summary>Replay information of the failures: seed, case, what happened (the first 10).</summary>
    public List<string> Failures { get; } = [];
    /// <summary>A few of the one-line errors, to see that they say something.</summary>
    public List<string> ErrorSamples { get; } = [];

    public void Error(string line)
    {
        Errors++;
        if (ErrorSamples.Count < 3) ErrorSamples.Add(line);
    }

    public bool Clean => Hangs + Crashes + Lost == 0;

    public void Fail(string what)
    {
        if (Failures.Count < 10) Failures.Add(what);
    }

    public static string Table(IEnumerable<Tally> tallies)
    {
        var rows = tallies.ToList();
        var lines = new List<string> { $"{"kind",-10} {"cases",7} {"triaged",8} {"errors",7} {"hangs",6} {"crashes",8} {"lost",5}" };
        foreach (var t in rows)
            lines.Add($"{t.Kind,-10} {t.Cases,7} {t.Triaged,8} {t.Errors,7} {t.Hangs,6} {t.Crashes,8} {t.Lost,5}");
        foreach (var t in rows)
            foreach (var e in t.ErrorSamples) lines.Add($"  {t.Kind} error, e.g.: {e}");
        foreach (var t in rows)
            foreach (var f in t.Failures) lines.Add($"  {t.Kind}: {f}");
        return string.Join('\n', lines) + "\n";
    }
}
