# Asks a bash completion script what it offers, as bash's programmable completion asks it.
# Usage: bash bash-complete.sh SCRIPT WORD... (the command line so far; the last word is the one
# being completed, '' for a new one). Prints the offers, one a line.
source "$1"
shift
fn=$(complete -p upscale | sed -E 's/.* -F ([^ ]+) .*/\1/')
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
"$fn" upscale "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
