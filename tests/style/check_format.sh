#!/usr/bin/env bash
# One clang-format style for the tree (.clang-format): fails listing every C++/CUDA file that differs from it.
set -u
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
format="${CLANG_FORMAT:-clang-format}"
cd "$root"
bad=()
while IFS= read -r -d '' f; do
  "$format" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done < <(find core cli gui bindings tests bench fuzz validation/cuda \( -name '*.cpp' -o -name '*.hpp' -o -name '*.cu' -o -name '*.cuh' \) -print0)
if [ ${#bad[@]} -ne 0 ]; then
  echo "not in the tree's clang-format style (run: clang-format -i FILE):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "clang-format: every file in style"
