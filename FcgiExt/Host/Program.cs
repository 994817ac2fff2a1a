using FcgiExt.DbgEng;

// fcgihost.exe: the engine host (see EngineHost for the commands). dbgeng.dll and its companions sit next to this exe.
using var stdout = Console.OpenStandardOutput();
return EngineHost.Run(args, stdout, Console.Error, Console.In);
