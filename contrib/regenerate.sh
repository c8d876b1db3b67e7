#!/bin/sh
# Regenerates the shell completions and man pages under contrib/ from the
# command line definition (src/cli/). Run it after changing a command, a flag
# or a help text; tests/contrib_generated.rs fails until the checked-in files
# match what the binary generates. It runs, from the repository root:
#   cargo run -- completions bash > contrib/completions/sundial.bash
#   cargo run -- completions zsh  > contrib/completions/sundial.zsh
#   cargo run -- completions fish > contrib/completions/sundial.fish
#   rm contrib/man/*.1 && cargo run -- man --dir contrib/man
set -eu
cd "$(dirname "$0")/.."

cargo build --quiet --bin sundial
run() {
	cargo run --quiet --bin sundial -- "$@"
}

# Generate everything first, so that a failure leaves contrib/ as it was.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for shell in bash zsh fish; do
	run completions "$shell" >"$tmp/sundial.$shell"
done
run man --dir "$tmp/man"

mkdir -p contrib/completions contrib/man
for shell in bash zsh fish; do
	mv "$tmp/sundial.$shell" "contrib/completions/sundial.$shell"
done
# Pages of commands that no longer exist go too.
rm -f contrib/man/*.1
mv "$tmp"/man/*.1 contrib/man/
echo "regenerated contrib/completions and contrib/man"
