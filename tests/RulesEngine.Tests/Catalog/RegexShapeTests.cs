using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Catalog;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>Catalog regexes are built when first needed; what RegexShape reads from their text must agree with the engine.</summary>
public class RegexShapeTests
{
    const RegexOptions Linear = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant;

    static bool EngineBuilds(string body)
    {
        try { _ = new Regex(body, Linear); return true; }
        catch (NotSupportedException) { return false; }
    }

    [TestCase(@"(a)\1", false)] [TestCase(@"(?<n>a)\k<n>", false)] [TestCase("foo(?=bar)", false)] [TestCase("foo(?!bar)", false)]
    [TestCase("(?<=x)y", false)] [TestCase("(?<!x)y", false)] [TestCase("(?>a+)b", false)] [TestCase("(?(a)b|c)", false)]
    [TestCase(@"\Gab", false)] [TestCase("(?<o>a)(?<c-o>b)", false)] [TestCase("(?'o'a)(?'-o'b)", false)]
    [TestCase(@"[\1]x", true)] [TestCase(@"[(?=]x", true)] [TestCase("[]?=]x", true)] [TestCase(@"\(?=x", true)]
    [TestCase("(?#(?=x)y", true)] [TestCase("(?<name>a)b", true)] [TestCase("(?'name'a)b", true)] [TestCase("(?i:ab)", true)]
    [TestCase("(?:a|b)+", true)] [TestCase(@"^php_\w+(\.dll)?$", true)] [TestCase(@"a\\1", true)] [TestCase("[^]]x", true)]
    public void The_constructs_found_are_the_ones_the_linear_engine_refuses(string body, bool linear)
    {
        Assert.That(EngineBuilds(body), Is.EqualTo(linear), "the engine's verdict (the case itself is wrong otherwise)");
        Assert.That(RegexShape.NonLinearConstruct(body) is null, Is.EqualTo(linear), RegexShape.NonLinearConstruct(body));
    }

    [Test]
    public void Random_patterns_get_the_engines_verdict()
    {
        // Fixed seed: a failure replays. Only patterns the parser accepts count; of those, the scanner must say what the
        // engine says, both ways (a pattern it passed and the engine refused would never match, silently).
        var random = new Random(20261206);
        string[] atoms =
            ["(", ")", "(?", "=", "!", "<", ">", "'", "-", "a", "b", "1", @"\", "k", "G", "[", "]", "^", "|", "+", "*", "?", ":", "#", "n"];
        int checkedPatterns = 0;
        for (int n = 0; n < 3000 && checkedPatterns < 300; n++)
        {
            var body = string.Concat(Enumerable.Range(0, random.Next(2, 10)).Select(_ => atoms[random.Next(atoms.Length)]));
            try { _ = new Regex(body, RegexOptions.CultureInvariant); }
            catch (ArgumentException) { continue; }
            checkedPatterns++;
            Assert.That(RegexShape.NonLinearConstruct(body) is null, Is.EqualTo(EngineBuilds(body)), body);
        }
        Assert.That(checkedPatterns, Is.EqualTo(300));
    }

    [TestCase(@"^php_zmq([-_](\d|n?ts)[\w.-]*)?(\.dll)?$", "php_zmq")]
    [TestCase(@"^php_gd2?(\.dll)?$", "php_gd")]
    [TestCase(@"^zlib\.so$", "zlib.so")]
    [TestCase(@"^ab+c", "ab")]
    [TestCase(@"^x{0,1}y", "")]
    [TestCase(@"^(kernelbase|kernel32)(\.dll)?$", "kernelbase,kernel32")]
    [TestCase(@"^(ig\w*icd(32|64)|igdumdim(32|64))(\.dll)?$", "ig")]
    [TestCase(@"^(?:lib)?sybdb", "libsybdb,sybdb")]
    [TestCase(@"^(x64-)?(msvcrt|ucrt)-ruby", "x64-msvcrt-ruby,x64-ucrt-ruby,msvcrt-ruby,ucrt-ruby")]
    [TestCase(@"^_?_?main", "__main,_main,main")]
    [TestCase(@"^ab??c", "abc,ac")]
    [TestCase(@"^(lib|x)sybdb", "libsybdb,xsybdb")]
    [TestCase(@"^(?<n>ab)c", "abc")]
    [TestCase(@"^protobuf_c(_\d+)?\.so$|^protobuf_c(_\d+)?$", "protobuf_c")]
    [TestCase(@"^a$|b", "")]
    [TestCase(@"^(?i)php", "")]
    [TestCase(@"^php(?=x)", "php")]
    [TestCase(@"zend_mm_", "")]
    [TestCase(@"^php[5-8]", "php5,php6,php7,php8")]
    [TestCase(@"^(a|)b", "ab,b")]
    public void Required_prefixes(string body, string prefixes) =>
        Assert.That(string.Join(",", RegexShape.RequiredPrefixes(body)), Is.EqualTo(prefixes));

    [Test]
    public void Prefixes_stop_growing_at_64()
    {
        var prefixes = RegexShape.RequiredPrefixes("^(a|b)(c|d)(e|f)(g|h)(i|j)(k|l)(m|n)");
        Assert.That(prefixes, Has.Count.EqualTo(64));
        Assert.That(prefixes.Select(p => p.Length).Distinct(), Is.EqualTo(new[] { 6 }));
    }

    [Test]
    public void The_prefixes_never_turn_away_a_name_the_regex_matches()
    {
        // Every built-in regex against names made to be near its prefixes: the same, another case, a letter off, cut short,
        // the Kelvin sign (a case-insensitive "k"), and long.
        var catalog = RuleCatalog.LoadBuiltIn();
        var bodies = catalog.Rules.SelectMany(r => new[] { r.Match.Module?.Pattern, r.Match.Function })
            .Where(p => p is { Kind: PatternKind.Regex }).Select(p => p!.Text).Distinct().ToList();
        Assert.That(bodies, Has.Count.GreaterThan(100));
        var random = new Random(7);
        int turnedAway = 0, constrained = 0;
        foreach (var text in bodies)
        {
            int close = text.LastIndexOf('/');
            var body = text[1..close];
            bool ignoreCase = text[(close + 1)..].Contains('i');
            var engine = new Regex(body, Linear | (ignoreCase ? RegexOptions.IgnoreCase : 0));
            var prefixes = RegexShape.RequiredPrefixes(body);
            if (prefixes.Count > 0) constrained++;
            var names = new List<string>();
            foreach (var prefix in prefixes.DefaultIfEmpty("x"))
            {
                names.AddRange([prefix, prefix.ToUpperInvariant(), prefix + ".dll", prefix + "_8_3_ts_vs16_x64", "x" + prefix, "32.dll"]);
                if (prefix.Length > 1) names.Add(prefix[..^1]);
                names.Add(prefix.Replace('k', '\u212A').Replace('K', '\u212A') + "ts.dll");
                for (int k = 0; k < 10; k++)
                {
                    var chars = (prefix + "_" + random.Next(1000)).ToCharArray();
                    chars[random.Next(chars.Length)] = "aZ_9.-\u212A"[random.Next(7)];
                    names.Add(new string(chars));
                }
            }
            foreach (var name in names)
            {
                if (prefixes.Count == 0 || prefixes.Any(p => RegexShape.MayStartWith(name, p, ignoreCase))) continue;
                Assert.That(engine.IsMatch(name), Is.False, $"{text} matches '{name}', which its prefixes turned away");
                turnedAway++;
            }
        }
        Assert.That(constrained, Is.GreaterThan(bodies.Count * 3 / 4), "most built-in regexes have prefixes");
        Assert.That(turnedAway, Is.GreaterThan(1000), "names the prefixes turned away");
    }

    [Test]
    public void Every_built_in_regex_builds_and_its_prefix_decides_the_names_it_cannot_match()
    {
        var catalog = RuleCatalog.LoadBuiltIn();
        var patterns = catalog.Rules.SelectMany(r => new[] { r.Match.Module?.Pattern, r.Match.Function, r.Match.Process?.Pattern })
            .Where(p => p is { Kind: PatternKind.Regex }).ToList();
        Assert.That(patterns.Select(p => p!.BuildError()).Where(e => e is not null), Is.Empty);
        var module = NamePattern.Parse("/^php_zmq(\\.dll)?$/i", out _)!;
        Assert.That(module.Matches("php_xdebug.dll"), Is.False);
        Assert.That(module.Matches("PHP_ZMQ.dll"), Is.True);
    }

    [TestCase(@"^(ws2_32|mswsock)(\.dll)?$", "ws2_32.dll,ws2_32,mswsock.dll,mswsock")]
    [TestCase(@"^php[5-6](ts)?$", "php5ts,php5,php6ts,php6")]
    [TestCase(@"^psqlodbc\d+[aw](\.dll)?$", null)]
    [TestCase(@"^zlib\.so$|^zlib1$", "zlib.so,zlib1")]
    [TestCase(@"^(a$|b)c$", null)]
    [TestCase(@"^[^a]$", null)]
    [TestCase(@"^abc", null)]
    [TestCase(@"^$", "")]
    public void Finite_language(string body, string? names) =>
        Assert.That(RegexShape.FiniteLanguage(body) is { } l ? string.Join(",", l) : null, Is.EqualTo(names));

    [Test]
    public void A_finite_language_answers_as_the_regex_does()
    {
        // Every built-in regex that is a list of names: each name, other cases, a line break after it (the engine's "$"
        // matches before one), one character more or less, and names one letter off; where the lookup answers, the
        // engine must agree.
        var catalog = RuleCatalog.LoadBuiltIn();
        var random = new Random(11);
        int finite = 0, answered = 0;
        foreach (var text in catalog.Rules.SelectMany(r => new[] { r.Match.Module?.Pattern, r.Match.Function })
                     .Where(p => p is { Kind: PatternKind.Regex }).Select(p => p!.Text).Distinct())
        {
            int close = text.LastIndexOf('/');
            var body = text[1..close];
            bool ignoreCase = text[(close + 1)..].Contains('i');
            if (RegexShape.FiniteLanguage(body) is not { } names) continue;
            finite++;
            var set = new HashSet<string>(names, ignoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
            var engine = new Regex(body, Linear | (ignoreCase ? RegexOptions.IgnoreCase : 0));
            var tries = new List<string>();
            foreach (var n in names)
            {
                tries.AddRange([n, n.ToUpperInvariant(), n + "\n", n + "x", "x" + n, n + "\n\n"]);
                if (n.Length > 0) tries.Add(n[..^1]);
                var chars = (n.Length > 0 ? n : "a").ToCharArray();
                chars[random.Next(chars.Length)] = "aZ_9.-"[random.Next(6)];
                tries.Add(new string(chars));
            }
            foreach (var name in tries)
            {
                if (RegexShape.InLanguage(name, set) is not { } known) continue;
                Assert.That(known, Is.EqualTo(engine.IsMatch(name)), $"{text} on '{name.Replace("\n", "\\n")}'");
                answered++;
            }
        }
        Assert.That(finite, Is.GreaterThan(40), "built-in regexes that are lists of names");
        Assert.That(answered, Is.GreaterThan(1000));
    }
}
