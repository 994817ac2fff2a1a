using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;

namespace FcgiExt.Integration.Tests;

/// <summary>No Wine: path translation for the host and the dump file pre-check that gives bad files their one-line error.</summary>
public class PathAndDumpCheckTests
{
    [Test]
    public void Linux_paths_become_Z_drive_paths()
    {
        Assert.That(WineRunner.ToWinePath("/srv/a b/x.dmp"), Is.EqualTo(@"Z:\srv\a b\x.dmp"));
        Assert.That(WineRunner.ToWinePathList("/sym/a;srv*/cache/syms*https://msdl.microsoft.com/download/symbols;C:\\keep"),
            Is.EqualTo(@"Z:\sym\a;srv*Z:\cache\syms*https://msdl.microsoft.com/download/symbols;C:\keep"));
        Assert.That(WineRunner.ToWinePathList("cache*/c;/d"), Is.EqualTo(@"cache*Z:\c;Z:\d"));
    }

    [Test]
    public void Relative_paths_that_exist_are_made_absolute()
    {
        string dir = TestPaths.TempDir();
        string old = Directory.GetCurrentDirectory();
        try
        {
            Directory.SetCurrentDirectory(dir);
            Directory.CreateDirectory("syms");
            Assert.That(WineRunner.ToWinePathList("syms"), Is.EqualTo("Z:" + Path.Combine(dir, "syms").Replace('/', '\\')));
            Assert.That(WineRunner.ToWinePathList("srv"), Is.EqualTo("srv"));
        }
        finally { Directory.SetCurrentDirectory(old); Directory.Delete(dir, true); }
    }

    [Test]
    public void Bad_files_get_a_one_line_reason_naming_them()
    {
        string dir = TestPaths.TempDir();
        try
        {
            string text = Path.Combine(dir, "notes.dmp");
            File.WriteAllText(text, "this is not a dump\n");
            string empty = Path.Combine(dir, "empty.dmp");
            File.WriteAllBytes(empty, []);
            string missing = Path.Combine(dir, "missing.dmp");
            foreach (var (file, reason) in new[] { (text, "not a Windows dump file"), (empty, "empty file"), (missing, "no such file"), (dir, "is a folder") })
            {
                string? problem = DumpFile.Problem(file);
                Assert.That(problem, Does.StartWith(file + ": ").And.Contain(reason));
                Assert.That(problem, Does.Not.Contain("\n"));
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void Truncated_minidumps_are_recognised_and_whole_ones_pass()
    {
        var dumps = PublicDumpTests.Dumps().Select(d => d.Path).ToList();
        Assume.That(dumps, Is.Not.Empty, $"no public dumps in {TestPaths.PublicDumps}");
        string dir = TestPaths.TempDir();
        try
        {
            foreach (var dump in dumps)
            {
                Assert.That(DumpFile.Problem(dump), Is.Null, dump);
                byte[] bytes = File.ReadAllBytes(dump);
                foreach (int keep in new[] { 16, bytes.Length / 2, bytes.Length - 64 })
                {
                    string cut = Path.Combine(dir, $"{Path.GetFileNameWithoutExtension(dump)}-{keep}.dmp");
                    File.WriteAllBytes(cut, bytes[..keep]);
                    Assert.That(DumpFile.Problem(cut), Does.StartWith(cut + ": truncated"), $"{dump} cut to {keep} bytes");
                }
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Breakpad writes Linux, macOS and Android minidumps with their PlatformId (minidump_format.h's MD_OS_*):
    /// a public Windows dump with its SystemInfo's PlatformId set to each must be refused in one line.</summary>
    [TestCase(0x8201u, "Linux")]
    [TestCase(0x8101u, "macOS")]
    [TestCase(0x8102u, "iOS")]
    [TestCase(0x8203u, "Android")]
    public void Minidumps_of_other_systems_are_refused_in_one_line(uint platformId, string name)
    {
        string source = Path.Combine(TestPaths.PublicDumps, "breakpad", "minidump2.dmp");
        Assume.That(File.Exists(source), Is.True, source);
        byte[] bytes = File.ReadAllBytes(source);
        uint streams = BitConverter.ToUInt32(bytes, 8), directory = BitConverter.ToUInt32(bytes, 12);
        int systemInfo = -1;
        for (int i = 0; i < streams; i++)
            if (BitConverter.ToUInt32(bytes, (int)directory + 12 * i) == 7) systemInfo = (int)BitConverter.ToUInt32(bytes, (int)directory + 12 * i + 8);
        Assert.That(systemInfo, Is.GreaterThan(0), "minidump2.dmp has a SystemInfo stream");
        Assert.That(BitConverter.ToUInt32(bytes, systemInfo + 20), Is.EqualTo(2u), "the original is VER_PLATFORM_WIN32_NT");
        BitConverter.GetBytes(platformId).CopyTo(bytes, systemInfo + 20);
        string dir = TestPaths.TempDir();
        try
        {
            string dump = Path.Combine(dir, "crash.dmp");
            File.WriteAllBytes(dump, bytes);
            Assert.That(DumpFile.Problem(dump),
                Is.EqualTo($"{dump}: not a Windows minidump ({name}); FcgiExt triages Windows processes"));
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>A stream directory that lies about sizes past 2 GB (in a sparse file as large as it claims) gets one line,
    /// no OverflowException and no allocation of what it claims.</summary>
    [TestCase(4u, 0x90000000u, 0x7fffffffu, "corrupt minidump (module list")]
    [TestCase(5u, 0x90000000u, 0x7fffffffu, "corrupt minidump (memory list")]
    [TestCase(9u, 0x80000010u, 0x08000000u, "truncated full-memory dump")]
    public void Lying_sizes_past_2_GB_are_one_line(uint streamType, uint claimedSize, uint claimedCount, string reason)
    {
        string source = Path.Combine(TestPaths.PublicDumps, "breakpad", "minidump2.dmp");
        Assume.That(File.Exists(source), Is.True, source);
        byte[] bytes = File.ReadAllBytes(source);
        uint streams = BitConverter.ToUInt32(bytes, 8), directory = BitConverter.ToUInt32(bytes, 12);
        string dir = TestPaths.TempDir();
        try
        {
            string dump = Path.Combine(dir, "huge.dmp");
            // Directory entry 0 becomes the lying stream, its list right after the header's bytes in a sparse 5 GB file.
            long listRva = bytes.Length;
            BitConverter.GetBytes(streamType).CopyTo(bytes, (int)directory);
            BitConverter.GetBytes(claimedSize).CopyTo(bytes, (int)directory + 4);
            BitConverter.GetBytes((uint)listRva).CopyTo(bytes, (int)directory + 8);
            using (var f = new FileStream(dump, FileMode.Create))
            {
                f.Write(bytes);
                f.Write(BitConverter.GetBytes((ulong)claimedCount));   // count (the 64-bit list's; a 32-bit list reads the low half)
                f.Write(BitConverter.GetBytes(6UL << 30));              // Memory64 BaseRva: past the end of the file
                f.SetLength(5L << 30);
            }
            Assert.That(streams, Is.GreaterThan(0));
            string? problem = DumpFile.Problem(dump);
            Assert.That(problem, Does.StartWith($"{dump}: {reason}"));
            Assert.That(problem, Does.Not.Contain("\n"));
        }
        finally { Directory.Delete(dir, true); }
    }
}
