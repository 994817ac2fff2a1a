using FcgiExt.Fuzz;

// bench/fuzz.sh [N] [seed] [kinds]: N cases of each kind (texts, catalogs, iis, fastcgi, dumps), a fixed seed (default 20261203),
// and the table: cases, triaged, one-line errors, hangs, crashes, lost. Exit 1 when anything hung, crashed or was lost.
int n = args.Length > 0 && int.TryParse(args[0], out var count) ? count : 200;
int seed = args.Length > 1 && int.TryParse(args[1], out var s) ? s : 20261203;
var kinds = (args.Length > 2 ? args[2] : "texts,catalogs,iis,fastcgi,dumps").Split(',');
string repo = FcgiExt.Cli.Engine.WineRunner.FindRepoRoot();
string work = Path.Combine(Path.GetTempPath(), $"fcgiext-fuzz-{Environment.ProcessId}");
var tallies = new List<Tally>();
var watch = System.Diagnostics.Stopwatch.StartNew();
try
{
    if (kinds.Contains("texts")) tallies.Add(Fuzzers.Texts(repo, n, seed));
    if (kinds.Contains("catalogs")) tallies.Add(Fuzzers.Catalogs(repo, n, seed));
    if (kinds.Contains("iis")) tallies.Add(Fuzzers.Iis(repo, n, seed));
    if (kinds.Contains("fastcgi")) tallies.Add(FastCgiFuzzer.Run(n, seed));
    if (kinds.Contains("dumps")) tallies.Add(await DumpFuzzer.Run(repo, n, seed, work));
}
finally { try { Directory.Delete(work, true); } catch (IOException) { } }
Console.Write($"fuzz: {n} case(s) of each kind, seed {seed}, {watch.Elapsed.TotalSeconds:0} s\n" + Tally.Table(tallies));
return tallies.All(t => t.Clean) ? 0 : 1;
