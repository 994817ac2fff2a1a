using System.Text;
using FcgiExt.RulesEngine.Readers;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>No text makes Read throw: garbage, truncated fixtures, shuffled and mutated lines (fixed seeds).</summary>
public class RobustnessTests
{
    static readonly string[] Fragments =
    [
        "0:000> k", "Child-SP RetAddr Call Site", "ChildEBP RetAddr  Args to Child", "STACK_TEXT:", " # Call Site", "start end module name",
        "00000000`0012f8a8 00007ffb`1234abcd", "0012f8a8 77c31234", "php5ts!zend_hash_find+0x1f", "(Inline Function) --------`--------",
        "+0x", "!", "[c:\\x\\y.c @ ", "@ 12]", "(FPO: [Non-Fpo])", "ExceptionAddress:", "ExceptionCode: c0000005", "Parameter[99]: ffffffffffffffffff",
        "Last event: 1a2c.1d34:", "- code c0000005 (first chance)", "rax=0000000000000000 rbx=", "rip=", "eip=6d5f4a1f esp=", "FAULTING_IP:",
        "Key  : Failure.Bucket", "Value:", "FAILURE_BUCKET_ID:", "_c0000005_!", "Faulting application name: php-cgi.exe, version:", "Fault offset: 0x",
        "Exception code: 0x", "Sig[3].Name=Fault Module Name", "Sig[3].Value=", "EventTime=99999999999999999999", "LoadedModule[1]=",
        "Problem signature:", "P8: ", "-- C level backtrace information ---", "C:\\r.dll(rb_vm_bugreport+0x1) [0x1]", " [0x]", "KiUserExceptionDispatcher",
        "[BUG] Segmentation fault at 0x", "ruby 3.1.2p20 (x) [x64-mingw-ucrt]", "Thread 5 - System ID 4236", "In a.dmp the assembly instruction at",
        "has caused an access violation exception (0xC0000005)", "<td>", "</tr>", "&amp;", "<script>", "WARNING: Following frames may be wrong.",
        "*** ERROR: Symbol file could not be found.  Defaulted to export symbols for", "(", ")", "```", "> ", "\u0000", "\uFEFF", "\t", "`", "0x", "0n",
    ];

    static IEnumerable<string> FixtureTexts() =>
        Directory.GetFiles(Fixture.Folder).Where(f => !f.EndsWith(".md") && !f.EndsWith(".yaml")).Select(f => DebuggerText.Decode(File.ReadAllBytes(f)));

    [Test]
    public void Garbage_never_throws([Values(1, 2, 3)] int seed)
    {
        var random = new Random(seed);
        for (int n = 0; n < 1000; n++)
        {
            var sb = new StringBuilder();
            int lines = random.Next(1, 40);
            for (int l = 0; l < lines; l++)
            {
                int parts = random.Next(1, 5);
                for (int p = 0; p < parts; p++)
                    sb.Append(random.Next(4) == 0 ? RandomChars(random, random.Next(1, 30)) : Fragments[random.Next(Fragments.Length)]).Append(random.Next(3) == 0 ? "" : " ");
                sb.Append(random.Next(5) == 0 ? "\r\n" : "\n");
            }
            var text = sb.ToString();
            Assert.DoesNotThrow(() => Check(DebuggerText.Read(text)), $"seed {seed} input {n}:\n{text}");
        }
    }

    [Test]
    public void Truncated_shuffled_and_mutated_fixtures_never_throw()
    {
        var random = new Random(20241126);
        int count = 0;
        foreach (var original in FixtureTexts())
        {
            for (int n = 0; n < 60; n++, count++)
            {
                var text = (n % 4) switch
                {
                    0 => original[..random.Next(original.Length + 1)],                                   // truncated
                    1 => original[random.Next(original.Length + 1)..],                                   // cut at the front
                    2 => string.Join('\n', original.Split('\n').OrderBy(_ => random.Next())),           // shuffled lines
                    _ => Mutate(original, random),                                                        // characters changed
                };
                Assert.DoesNotThrow(() => Check(DebuggerText.Read(text)), $"fixture variant {n}:\n{text}");
            }
        }
        Assert.That(count, Is.GreaterThan(1000));
    }

    [Test]
    public void Empty_and_whitespace()
    {
        foreach (var text in new[] { "", " ", "\n\n\r\n", "\t", "0:000>", "0:000> k" })
        {
            var r = DebuggerText.Read(text);
            Assert.That(r.Frames, Is.Empty);
            Assert.That(r.Exception, Is.Null);
            Assert.That(r.Source.Notes, Has.Some.Contains("No debugger output"));
        }
    }

    static void Check(FcgiExt.RulesEngine.Model.CrashReport r)
    {
        for (int i = 0; i < r.Frames.Count; i++)
            if (r.Frames[i].Index != i) throw new AssertionException($"frame {i} has index {r.Frames[i].Index}");
        _ = r.Frames.Select(f => f.Display).ToList();
        _ = r.Exception?.Access;
        _ = r.Exception?.TargetAddress;
    }

    static string RandomChars(Random random, int length)
    {
        const string alphabet = "0123456789abcdefABCDEF`!+:()[]@ \\/._-=<>&;#x\u00e9\u4e2d";
        var chars = new char[length];
        for (int i = 0; i < length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
        return new string(chars);
    }

    static string Mutate(string text, Random random)
    {
        var chars = text.ToCharArray();
        int edits = Math.Max(1, chars.Length / 50);
        for (int i = 0; i < edits && chars.Length > 0; i++)
            chars[random.Next(chars.Length)] = "0`!+:()[]@\n x-_".ToCharArray()[random.Next(15)];
        return new string(chars);
    }
}
