# Writes the README's "On Windows" section as the README.txt of a release zip:
#   pwsh scripts/readme-windows.ps1 README.md out/README.txt
param([string]$Readme, [string]$Out)
$lines = Get-Content $Readme
$start = [Array]::FindIndex($lines, [Predicate[string]] { param($l) $l -eq '## On Windows' })
if ($start -lt 0) { throw "$Readme has no '## On Windows' section" }
$end = [Array]::FindIndex($lines, $start + 1, [Predicate[string]] { param($l) $l.StartsWith('## ') })
if ($end -lt 0) { $end = $lines.Length }
$text = @('FcgiExt — who owns a FastCGI worker crash (php-cgi.exe, ruby.exe under IIS)', '') + $lines[$start..($end - 1)]
Set-Content -Path $Out -Value $text -Encoding utf8
