using System.IO.Compression;

namespace FcgiExt.Cli.Batch;

/// <summary>A dump to triage: its name in reports and where its bytes are on disk.</summary>
/// <param name="Name">What reports show: the path as found, or "pack.zip!folder/x.dmp" for a dump inside a zip.</param>
/// <param name="LocalPath">A file the engine can open (an extracted copy for zip entries), or null when it could not be made.</param>
/// <param name="Error">Why it could not be made available, if so.</param>
public sealed record DumpEntry(string Name, string? LocalPath, string? Error = null)
{
    /// <summary>What the progress line shows: the path below the folder given ("scenarios/x/minidump.dmp"), since
    /// many dumps share a file name; the name itself for a dump given as a file.</summary>
    public string Label { get; init; } = Name;
}

/// <summary>
/// Finds dumps under the given paths: *.dmp and *.mdmp files, recursively, and the same inside
/// .zip files (DebugDiag packs dumps that way). Zip entries are extracted once into a cache folder
/// keyed by the archive's size and time, so a resumed batch does not extract again.
/// </summary>
public sealed class DumpFinder(string extractCache, Func<string, DumpFinder.FolderListing>? listFolder = null)
{
    static readonly string[] DumpExtensions = [".dmp", ".mdmp"];

    /// <summary>One folder's sub-folders and files; a folder that cannot be read throws (UnauthorizedAccessException…).</summary>
    public sealed record FolderListing(IReadOnlyList<string> Folders, IReadOnlyList<string> Files);

    readonly Func<string, FolderListing> _listFolder = listFolder ?? (folder => new FolderListing(
        Directory.GetDirectories(folder), Directory.GetFiles(folder)));

    public static bool IsDumpName(string name) =>
        DumpExtensions.Any(e => name.EndsWith(e, StringComparison.OrdinalIgnoreCase));

    /// <summary>Paths that do not exist are reported through <paramref name="missing"/>; a folder that cannot be read is a
    /// <see cref="DumpEntry"/> with the reason, so it is counted as not triaged instead of silently left out.</summary>
    public IEnumerable<DumpEntry> Find(IEnumerable<string> paths, List<string> missing)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            IEnumerable<DumpEntry> found;
            if (File.Exists(path)) found = [new DumpEntry(path, path)];
            else if (Directory.Exists(path)) found = Walk(path).Select(e => e with { Label = Path.GetRelativePath(path, e.Name) });
            else { missing.Add(path); continue; }

            foreach (var entry in found)
            {
                if (entry.Error is not null) { yield return entry; continue; }
                var file = entry.Name;
                if (!seen.Add(Path.GetFullPath(file))) continue;
                if (IsDumpName(file)) yield return entry;
                else if (file.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
                    foreach (var e in FromZip(file)) yield return e with { Label = entry.Label + e.Name[file.Length..] };
            }
        }
    }

    /// <summary>Every file under the folder in ordinal order of the path, without recursion; unreadable folders as errors.</summary>
    List<DumpEntry> Walk(string root)
    {
        var found = new List<DumpEntry>();
        var pending = new Stack<string>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            FolderListing listing;
            string? error = null;
            try { listing = _listFolder(folder); }
            catch (UnauthorizedAccessException) { listing = new([], []); error = "cannot read the folder (permission denied)"; }
            catch (IOException e) { listing = new([], []); error = $"cannot read the folder ({e.Message})"; }
            if (error is not null) { found.Add(new DumpEntry(folder, null, error)); continue; }
            found.AddRange(listing.Files.Select(file => new DumpEntry(file, file)));
            foreach (var sub in listing.Folders) pending.Push(sub);
        }
        return found.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }

    IEnumerable<DumpEntry> FromZip(string zipPath)
    {
        var entries = new List<DumpEntry>();
        try
        {
            using var zip = ZipFile.OpenRead(zipPath);
            var info = new FileInfo(zipPath);
            var folder = Path.Combine(extractCache,
                $"{Path.GetFileNameWithoutExtension(zipPath)}-{info.Length:x}-{info.LastWriteTimeUtc.Ticks:x}");
            foreach (var entry in zip.Entries.Where(e => IsDumpName(e.FullName)).OrderBy(e => e.FullName, StringComparer.Ordinal))
            {
                var name = $"{zipPath}!{entry.FullName}";
                try
                {
                    // Entry names come from the archive: never let "../" escape the cache folder.
                    var target = Path.GetFullPath(Path.Combine(folder, entry.FullName.Replace('\\', '/').TrimStart('/')));
                    if (!target.StartsWith(Path.GetFullPath(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                    { entries.Add(new DumpEntry(name, null, "unsafe path inside the zip")); continue; }
                    if (!File.Exists(target) || new FileInfo(target).Length != entry.Length)
                    {
                        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                        entry.ExtractToFile(target + ".part", overwrite: true);
                        File.Move(target + ".part", target, overwrite: true);
                    }
                    entries.Add(new DumpEntry(name, target));
                }
                catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
                {
                    entries.Add(new DumpEntry(name, null, "cannot extract from the zip: " + e.Message));
                }
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            entries.Add(new DumpEntry(zipPath, null, "not a readable zip: " + e.Message));
        }
        return entries;
    }
}
