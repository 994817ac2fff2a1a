using FcgiExt.DbgEng;

// fcgihost.exe: the engine host (see EngineHost for the commands) and the Windows side of `fcgi repro` (ReproHost).
// dbgeng.dll and its companions sit next to this exe.
using var stdout = Console.OpenStandardOutput();
if (args.Length > 0 && args[0] == "repro" && OperatingSystem.IsWindows())
    return FcgiExt.Host.ReproHost.Run(args[1..], stdout, Console.Error);
return EngineHost.Run(args, stdout, Console.Error, Console.In);
