#!/usr/bin/env bash
# Style rule 10: source files stay short (hard cap 800 lines; tests and generated files aside).
set -euo pipefail
cd "$(dirname "$0")/.."
bad=0
while IFS= read -r f; do
  n=$(wc -l < "$f")
  if [ "$n" -gt 800 ]; then echo "check_file_length: $f has $n lines (cap 800)"; bad=1; fi
done < <(git ls-files 'src/*.cpp' 'src/*.h' 'cli/*.cpp' 'cli/*.h' 2>/dev/null || find src cli -name '*.cpp' -o -name '*.h')
exit $bad
