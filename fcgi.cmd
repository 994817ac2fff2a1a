@echo off
rem fcgi on a Windows clone, like ./fcgi on Linux: builds the fcgi command on first use, then runs it with the
rem engine in process (Microsoft's dbgeng.dll from NuGet beside fcgi.exe). After changing the sources:
rem   dotnet build Cli\Cli.csproj -c Release
setlocal
set "ROOT=%~dp0"
set "EXE=%ROOT%Cli\bin\Release\net10.0\fcgi.exe"
if not exist "%EXE%" (
  echo fcgi: building the fcgi command ^(first run, about a minute^) 1>&2
  dotnet build "%ROOT%Cli\Cli.csproj" -c Release -nologo -v:q 1>&2
  if errorlevel 1 ( echo fcgi: build failed 1>&2 & exit /b 2 )
)
set "FCGI_REPO_ROOT=%ROOT:~0,-1%"
"%EXE%" %*
exit /b %ERRORLEVEL%
