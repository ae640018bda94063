/**
 * Shell completion scripts for bash, zsh and fish, generated from the commander program itself
 * (its commands, flags and arguments) and the providers' flag values of cli-flags.json: nothing to
 * keep in step by hand, and the scripts are static (no process starts at each Tab).
 */
import type * as Commander from 'commander';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** What a word may be completed with: fixed words, file names, or both. */
export interface Completions {
  readonly words: readonly string[];
  readonly files: boolean;
}

export interface CompletionFlag {
  /** `-p`, `--provider`. */
  readonly names: readonly string[];
  readonly description: string;
  /** Undefined for a flag that takes no value. */
  readonly value?: Completions;
}

/** One command of the tree: `path` is [] for the program, ['config', 'set'] for `upscale config set`. */
export interface CompletionNode {
  readonly path: readonly string[];
  readonly commands: readonly { readonly name: string; readonly description: string }[];
  readonly flags: readonly CompletionFlag[];
  /** What its positional arguments take. */
  readonly args: Completions;
}

export interface CompletionValues {
  /** The values of a flag that takes one, by long name (`--scale` → 2x, 4x, …). */
  flag(long: string): Completions;
  /** What the arguments of a command take, by its path (`completion` → bash, zsh, fish). */
  args(path: readonly string[], command: Commander.Command): Completions;
}

const NONE: Completions = { words: [], files: false };

/** The program's commands, flags and arguments, as the scripts need them. */
export function completionTree(program: Commander.Command, values: CompletionValues): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (command: Commander.Command, path: string[]) => {
    const help = command.createHelp();
    const commands = help
      .visibleCommands(command)
      .map((c) => ({ name: c.name(), description: c.summary() || c.description() }));
    const flags = help.visibleOptions(command).map((o): CompletionFlag => {
      const names = [o.short, o.long].filter((n): n is string => n !== undefined);
      const takesValue = o.required || o.optional;
      return {
        names,
        description: o.description,
        ...(takesValue ? { value: o.long ? values.flag(o.long) : NONE } : {}),
      };
    });
    nodes.push({ path, commands, flags, args: values.args(path, command) });
    for (const sub of command.commands) if (!isHidden(sub)) walk(sub, [...path, sub.name()]);
    // commander's own `help [command]` is not among `commands`: it completes its siblings.
    const helpCommand = help.visibleCommands(command).find((c) => !command.commands.includes(c));
    if (helpCommand)
      nodes.push({
        path: [...path, helpCommand.name()],
        commands: [],
        flags: [],
        args: { words: commands.map((c) => c.name).filter((n) => n !== helpCommand.name()), files: false },
      });
  };
  walk(program, []);
  return nodes;
}

function isHidden(command: Commander.Command): boolean {
  return Boolean((command as unknown as { _hidden?: boolean })._hidden);
}

/** The script for `shell`, completing the command `bin`. */
export function completionScript(shell: Shell, bin: string, nodes: readonly CompletionNode[]): string {
  if (shell === 'fish') return fishScript(bin, nodes);
  const body = bashFunction(bin, nodes, shell === 'zsh');
  if (shell === 'bash')
    return `# bash completion for ${bin}: \`${bin} completion bash\` printed it.
# Install: add  source <(${bin} completion bash)  to ~/.bashrc, or save it as
# ~/.local/share/bash-completion/completions/${bin}
${body}complete -o default -F _${fn(bin)}_complete ${bin}
`;
  return `#compdef ${bin}
# zsh completion for ${bin}: \`${bin} completion zsh\` printed it.
# Install: add  source <(${bin} completion zsh)  to ~/.zshrc (after compinit)
autoload -U +X bashcompinit && bashcompinit
${body}complete -o default -F _${fn(bin)}_complete ${bin}
`;
}

const fn = (bin: string) => bin.replace(/[^A-Za-z0-9_]/g, '_');
const key = (path: readonly string[]) => path.join(' ');
const shellWords = (words: readonly string[]) => words.join(' ');
const FILES = '__files__';
const withFiles = (c: Completions) => shellWords([...c.words, ...(c.files ? [FILES] : [])]);

/** A `case` over the command paths (and flags), one branch per entry that has words. */
function bashCase(subject: string, branches: readonly (readonly [string, string])[]): string {
  const lines = branches
    .filter(([, words]) => words !== '')
    .map(([match, words]) => `    ${match}) printf '%s' '${words}' ;;`);
  return `  case "${subject}" in\n${lines.join('\n')}\n  esac`;
}

function bashFunction(bin: string, nodes: readonly CompletionNode[], zsh: boolean): string {
  const name = fn(bin);
  const commands = bashCase(
    '$1',
    nodes.map((n) => [`'${key(n.path)}'`, shellWords(n.commands.map((c) => c.name))]),
  );
  const flags = bashCase(
    '$1',
    nodes.map((n) => [`'${key(n.path)}'`, shellWords(n.flags.flatMap((f) => f.names))]),
  );
  const valueFlags = bashCase(
    '$1',
    nodes.map((n) => [
      `'${key(n.path)}'`,
      shellWords(n.flags.filter((f) => f.value).flatMap((f) => f.names)),
    ]),
  );
  const values = bashCase(
    '$1|$2',
    nodes.flatMap((n) =>
      n.flags
        .filter((f) => f.value)
        .map(
          (f) => [f.names.map((flag) => `'${key(n.path)}|${flag}'`).join('|'), withFiles(f.value!)] as const,
        ),
    ),
  );
  const args = bashCase(
    '$1',
    nodes.map((n) => [`'${key(n.path)}'`, withFiles(n.args)]),
  );
  return `_${name}_commands() {
${commands}
}
_${name}_flags() {
${flags}
}
_${name}_value_flags() {
${valueFlags}
}
_${name}_values() {
${values}
}
_${name}_args() {
${args}
}
_${name}_complete() {
${zsh ? '  emulate -L ksh\n' : ''}  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]}
  local path='' word flag='' value=0 positional=0 i words
  # The command path so far (\`config set\`), skipping flags and their values; after the first
  # input, words are inputs, not commands.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=\${COMP_WORDS[i]}
    if [[ $word == = ]]; then value=1; continue; fi
    if ((value)); then value=0; continue; fi
    if [[ $word == -* ]]; then
      [[ " $(_${name}_value_flags "$path") " == *" $word "* ]] && value=1
      continue
    fi
    if ((!positional)) && [[ " $(_${name}_commands "$path") " == *" $word "* ]]; then
      path=\${path:+$path }$word
    else
      positional=1
    fi
  done
  if [[ $cur == = ]]; then cur=''; flag=$prev; value=1
  elif [[ $prev == = ]]; then flag=\${COMP_WORDS[COMP_CWORD-2]}; value=1
  elif ((value)); then flag=$prev
  fi
  if ((value)); then
    words=$(_${name}_values "$path" "$flag")
  elif [[ $cur == -* ]]; then
    words=$(_${name}_flags "$path")
  else
    words=$(_${name}_args "$path")
    ((positional)) || words="$words $(_${name}_commands "$path")"
  fi
  COMPREPLY=($(compgen -W "\${words//${FILES}/}" -- "$cur"))
  if [[ $words == *${FILES}* ]]; then
    type compopt >/dev/null 2>&1 && compopt -o filenames 2>/dev/null
    COMPREPLY+=($(compgen -f -- "$cur"))
  fi
  return 0
}
`;
}

const fishQuote = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
/** The first sentence of a description, short enough for a completion menu. */
const short = (text: string) => text.split(/[;(]/)[0]!.trim().slice(0, 80);

function fishScript(bin: string, nodes: readonly CompletionNode[]): string {
  const name = fn(bin);
  const fishCase = (pick: (n: CompletionNode) => string) =>
    nodes
      .map((n) => [key(n.path), pick(n)] as const)
      .filter(([, words]) => words !== '')
      .map(([path, words]) => `        case ${fishQuote(path)}\n            echo ${words}`)
      .join('\n');
  const lines = [
    `# fish completion for ${bin}: \`${bin} completion fish\` printed it.`,
    `# Install: ${bin} completion fish > ~/.config/fish/completions/${bin}.fish`,
    `function __${name}_commands`,
    '    switch "$argv[1]"',
    fishCase((n) => shellWords(n.commands.map((c) => c.name))),
    '    end',
    'end',
    `function __${name}_value_flags`,
    '    switch "$argv[1]"',
    fishCase((n) => shellWords(n.flags.filter((f) => f.value).flatMap((f) => f.names))),
    '    end',
    'end',
    '# The command path of the line so far, then 1 once an input was given (no command after it).',
    `function __${name}_state`,
    "    set -l path ''",
    '    set -l value 0',
    '    set -l positional 0',
    '    for word in (commandline -opc)[2..-1]',
    '        if test $value = 1',
    '            set value 0',
    '            continue',
    '        end',
    "        if string match -q -- '-*' $word",
    `            contains -- (string split -- '=' $word)[1] (string split ' ' -- (__${name}_value_flags "$path")); and not string match -q -- '*=*' $word; and set value 1`,
    '            continue',
    '        end',
    `        if test $positional = 0; and contains -- $word (string split ' ' -- (__${name}_commands "$path"))`,
    '            set path (string trim -- "$path $word")',
    '        else',
    '            set positional 1',
    '        end',
    '    end',
    '    echo $path',
    '    echo $positional',
    'end',
    `function __${name}_at`,
    `    set -l state (__${name}_state)`,
    '    test "$state[1]" = "$argv[1]"; and begin; test (count $argv) -lt 2; or test "$state[2]" = "$argv[2]"; end',
    'end',
  ];
  for (const node of nodes) {
    const at = (positional?: number) =>
      `-n ${fishQuote(`__${name}_at ${fishQuote(key(node.path))}${positional === undefined ? '' : ` ${positional}`}`)}`;
    // Files only where the command takes them.
    if (!node.args.files) lines.push(`complete -c ${bin} ${at()} -f`);
    if (node.args.words.length > 0)
      lines.push(`complete -c ${bin} ${at()} -a ${fishQuote(shellWords(node.args.words))}`);
    for (const c of node.commands)
      lines.push(`complete -c ${bin} ${at(0)} -a ${c.name} -d ${fishQuote(short(c.description))}`);
    for (const f of node.flags) {
      const names = f.names
        .map((n) => (n.startsWith('--') ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`))
        .join(' ');
      const value = f.value
        ? ` ${f.value.files ? '-r -F' : '-x'}${f.value.words.length > 0 ? ` -a ${fishQuote(shellWords(f.value.words))}` : ''}`
        : '';
      lines.push(`complete -c ${bin} ${at()} ${names}${value} -d ${fishQuote(short(f.description))}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
