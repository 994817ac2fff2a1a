using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.RulesEngine.Calibration;

/// <summary>
/// `fcgi rules diff`: how a catalog change moves verdicts on a corpus of crashes. Each case is triaged with the
/// old and the new catalog; a case is "same" when owner, category, bucket and deciding rule are all unchanged.
/// </summary>
public static class CatalogDiff
{
    public sealed record Outcome(string Owner, string Category, string Bucket, string? Rule)
    {
        public override string ToString() => $"{Owner} [{Category}] {Bucket}" + (Rule is null ? "" : $" (rule {Rule})");
        public static Outcome Of(TriageResult r) => new(r.Verdict.Owner, r.Verdict.Category, r.Verdict.Bucket, r.Verdict.Rule);
    }

    public sealed record Case(string Name, Outcome? Original, Outcome? New, string? Error)
    {
        public bool Same => Error is null && Original == New;
    }

    public static IReadOnlyList<Case> Run(IEnumerable<(string Name, Func<CrashReport> Load)> corpus, IOwnerCatalog original,
        IOwnerCatalog updated)
    {
        var cases = new List<Case>();
        foreach (var (name, load) in corpus)
        {
            CrashReport crash;
            try { crash = load(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidDataException
                                           or Readers.DebuggerTextException)
            {
                cases.Add(new Case(name, null, null, e.Message));
                continue;
            }
            cases.Add(new Case(name, Outcome.Of(Triager.Triage(crash, original)), Outcome.Of(Triager.Triage(crash, updated)), null));
        }
        return cases;
    }
}
