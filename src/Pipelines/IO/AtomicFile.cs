namespace Pipelines.IO;

/// <summary>
/// Writes a file so that a crash leaves the old file or the new one, never a torn one, and never a stray temporary:
/// the bytes go to <c>.NAME.partial</c> beside the target (one fixed name per target, held exclusively while written,
/// so the next save to the same path truncates what a killed one left), are flushed to disk, and the file is renamed over
/// the target. The directory entry itself is not flushed: .NET has no managed way to fsync a directory on Unix, and the
/// library uses no native calls.
/// </summary>
internal static class AtomicFile
{
    /// <summary>The temporary file a save to <paramref name="target"/> writes first.</summary>
    public static string TemporaryFor(string target) => Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.partial");

    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        var target = Path.GetFullPath(path);
        var temporary = TemporaryFor(target);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Another save holds it; that save will replace or remove it.
        }
    }
}
