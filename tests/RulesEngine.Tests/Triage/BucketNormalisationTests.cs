using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

/// <summary>One crash, one bucket: whether it came from a dump (image file names) or from k + lml text (engine names).</summary>
public class BucketNormalisationTests
{
    static readonly Lazy<RuleCatalog> Catalog = new(RuleCatalog.LoadBuiltIn);

    const string KAndLml = """
        0:000> .exr -1
        ExceptionAddress: 00007ff71e4c1a2b (crashme+0x0000000000001a2b)
           ExceptionCode: c0000005 (Access violation)
          ExceptionFlags: 00000000
        NumberParameters: 2
           Parameter[0]: 0000000000000001
           Parameter[1]: 0000000000000000
        0:000> k
         # Child-SP          RetAddr               Call Site
        00 000000a1`2f5fe6f0 00007ff7`1e4c2f30     crashme!do_crash+0x1b
        01 000000a1`2f5fe760 00007ffb`4f4226b1     crashme!main+0x20
        02 000000a1`2f5fe7c0 00000000`00000000     kernel32!BaseThreadInitThunk+0x14
        0:000> lml
        start             end                 module name
        00007ff7`1e4c0000 00007ff7`1e4d2000   crashme    (private pdb symbols)  c:\src\crashme.pdb
        """;

    /// <summary>What the collector builds from the dump of the same crash: the module list has image file names.</summary>
    static CrashReport FromDump()
    {
        var text = DebuggerText.Read(KAndLml);
        return text with
        {
            Modules =
            [
                new ModuleInfo
                {
                    FileName = "crashme.exe", Name = "crashme", Path = @"C:\test\crashme.exe", Base = 0x00007ff71e4c0000, Size = 0x12000,
                },
                new ModuleInfo { FileName = "kernel32.dll", Name = "kernel32", Path = @"C:\Windows\System32\kernel32.dll" },
            ],
            Source = text.Source with { Kind = "dbgeng" },
        };
    }

    [Test]
    public void A_dump_and_a_k_paste_of_one_crash_give_one_bucket()
    {
        var fromText = Triager.Triage(DebuggerText.Read(KAndLml), Catalog.Value).Verdict.Bucket;
        var fromDump = Triager.Triage(FromDump(), Catalog.Value).Verdict.Bucket;
        Assert.That(fromText, Is.EqualTo(fromDump));
        Assert.That(fromText, Does.StartWith("NULL_POINTER_WRITE_c0000005_crashme!"));
    }

    [TestCase("crashme.exe", "crashme")]
    [TestCase("crashme", "crashme")]
    [TestCase("php_xdebug-3.3.1-8.3-vs16-x86_64.dll", "php_xdebug_3_3_1_8_3_vs16_x86_64")]
    [TestCase("php_xdebug_3_3_1_8_3_vs16_x86_64", "php_xdebug_3_3_1_8_3_vs16_x86_64")]
    [TestCase(@"C:\PHP\ext\PHP_OPCACHE.DLL", "php_opcache")]
    [TestCase("grpc_c.64-ucrt.ruby", "grpc_c_64_ucrt")]
    public void Bucket_names_of_every_form_agree(string name, string bucketName) =>
        Assert.That(ModuleNames.BucketName(name), Is.EqualTo(bucketName));
}
