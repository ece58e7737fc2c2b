/**
 * `everynode completion bash|zsh|fish`: a shell completion script generated from the command tree
 * as commander has it (commander has none built in), so a new command, option or choice is
 * completed without anyone editing a script. Subcommands, options, the values of options with
 * fixed choices (--resource crd|native, -o text|json, ...) and file names for options and
 * arguments that take files. The scripts complete `everynode` and `kubectl-everynode` alike.
 *
 * All three scripts share one model: the command path is found by walking the words typed so
 * far, skipping options and the value of each option that takes one; the candidates are the
 * path's subcommands, its options, or the choices / files of the option before the cursor.
 */
import { Command, Option } from 'commander';
import { UsageError } from './errors.js';

/** One option as completion sees it. */
export interface OptionSpec {
  /** Every spelling: '-n', '--namespace'. */
  readonly names: readonly string[];
  /** A value is required after it (`--qps 20`, `--qps=20`). */
  readonly takesValue: boolean;
  readonly choices: readonly string[];
  /** Its value is a file or directory name. */
  readonly file: boolean;
  readonly description: string;
}

/** One command: its path from the root ('' for the root, 'rollout status'), subcommands, options. */
export interface CommandSpec {
  readonly path: string;
  readonly subcommands: readonly { name: string; description: string }[];
  readonly options: readonly OptionSpec[];
  /** Its positional arguments are files (`sim <scenario>`). */
  readonly fileArgs: boolean;
  /** The fixed values of its first positional argument (`completion <shell>`). */
  readonly argChoices: readonly string[];
}

const FILE_WORD = /file|path|dir|scenario|kubeconfig|report/i;

function optionSpec(o: Option): OptionSpec {
  const names = [o.short, o.long].filter((n): n is string => n !== undefined);
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(o.flags)?.[1] ?? '';
  return {
    names,
    takesValue: o.required,
    choices: o.argChoices ?? [],
    file: (o.required || o.optional) && FILE_WORD.test(placeholder + ' ' + (o.long ?? '')),
    description: o.description,
  };
}

/** The command tree as completion specs, root first, depth first. */
export function commandSpecs(program: Command): CommandSpec[] {
  const out: CommandSpec[] = [];
  const walk = (cmd: Command, path: string): void => {
    const subs = cmd.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
    const options = cmd.options.filter((o) => !o.hidden).map(optionSpec);
    options.push({
      names: ['-h', '--help'],
      takesValue: false,
      choices: [],
      file: false,
      description: 'display help',
    });
    out.push({
      path,
      subcommands: subs.flatMap((c) =>
        [c.name(), ...c.aliases()].map((name) => ({
          name,
          description: c.summary() || c.description(),
        })),
      ),
      options,
      fileArgs: cmd.registeredArguments.some((a) => FILE_WORD.test(a.name() + a.description)),
      argChoices: cmd.registeredArguments[0]?.argChoices ?? [],
    });
    for (const c of subs) walk(c, path === '' ? c.name() : `${path} ${c.name()}`);
  };
  walk(program, '');
  return out;
}

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
const words = (xs: readonly string[]): string => q(xs.join(' '));

/** Shell functions (bash and zsh share the syntax) answering questions about a command path. */
function lookupFunctions(specs: readonly CommandSpec[]): string {
  const cases = (
    fn: string,
    row: (s: CommandSpec) => string | undefined,
    key: (s: CommandSpec) => string = (s) => q(s.path),
  ): string => {
    const arms = specs
      .map((s) => [key(s), row(s)] as const)
      .filter((a): a is readonly [string, string] => a[1] !== undefined)
      .map(([k, v]) => `    ${k}) printf '%s\\n' ${v} ;;`);
    return `${fn}() {\n  case "$1" in\n${arms.join('\n')}\n  esac\n}`;
  };
  const choiceArms: string[] = [];
  for (const s of specs)
    for (const o of s.options)
      if (o.choices.length > 0)
        for (const n of o.names)
          choiceArms.push(`    ${q(`${s.path}|${n}`)}) printf '%s\\n' ${words(o.choices)} ;;`);
  return [
    cases('__everynode_subcommands', (s) => words(s.subcommands.map((c) => c.name))),
    cases('__everynode_arg_choices', (s) =>
      s.argChoices.length > 0 ? words(s.argChoices) : undefined,
    ),
    cases('__everynode_options', (s) => words(s.options.flatMap((o) => o.names))),
    // Padded with spaces so that `[[ " $(...) " == *" $opt "* ]]` matches whole names.
    cases('__everynode_value_options', (s) =>
      words(['', ...s.options.filter((o) => o.takesValue).flatMap((o) => o.names), '']),
    ),
    cases('__everynode_file_options', (s) =>
      words(['', ...s.options.filter((o) => o.file).flatMap((o) => o.names), '']),
    ),
    cases('__everynode_file_args', (s) => (s.fileArgs ? "'yes'" : undefined)),
    `__everynode_choices() {\n  case "$1|$2" in\n${choiceArms.join('\n')}\n  esac\n}`,
    // The command path: subcommand words typed so far, options and their values skipped.
    `__everynode_path() {
  local cmdpath="" w pending=0
  for w in "$@"; do
    case "$w" in
      =) pending=1 ;;
      -*=*) pending=0 ;;
      -*) pending=0
          [[ "$(__everynode_value_options "$cmdpath")" == *" $w "* ]] && pending=1 ;;
      *) if ((pending)); then pending=0
         elif [[ " $(__everynode_subcommands "$cmdpath") " == *" $w "* ]]; then
           cmdpath="\${cmdpath:+$cmdpath }$w"
         fi ;;
    esac
  done
  printf '%s\\n' "$cmdpath"
}`,
  ].join('\n\n');
}

/** What to offer, decided once for both bash and zsh: sets kind (choices|files|words|none) and list. */
const DECIDE = `__everynode_decide() {
  # $1 path, $2 the word before the cursor, $3 the one before that, $4 the current word
  local cmdpath="$1" prev="$2" prev2="$3" cur="$4" opt=""
  kind=none list="" prefix=""
  if [[ "$cur" == --*=* ]]; then opt="\${cur%%=*}" prefix="$opt="
  elif [[ "$cur" == "=" ]]; then opt="$prev"
  elif [[ "$prev" == "=" ]]; then opt="$prev2"
  elif [[ "$prev" == -* && "$(__everynode_value_options "$cmdpath")" == *" $prev "* ]]; then opt="$prev"
  fi
  if [[ -n "$opt" ]]; then
    list="$(__everynode_choices "$cmdpath" "$opt")"
    if [[ -n "$list" ]]; then kind=choices
    elif [[ "$(__everynode_file_options "$cmdpath")" == *" $opt "* ]]; then kind=files
    fi
    return
  fi
  if [[ "$cur" == -* ]]; then kind=words list="$(__everynode_options "$cmdpath")"; return; fi
  list="$(__everynode_subcommands "$cmdpath")$(__everynode_arg_choices "$cmdpath")"
  if [[ -n "$list" ]]; then kind=words
  elif [[ -n "$(__everynode_file_args "$cmdpath")" ]]; then kind=files
  fi
}`;

function bash(specs: readonly CommandSpec[]): string {
  return `# everynode completion for bash. Load it with:  source <(everynode completion bash)
# or install it:  everynode completion bash > /etc/bash_completion.d/everynode
${lookupFunctions(specs)}

${DECIDE}

_everynode() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  local prev2="" kind list prefix val
  ((COMP_CWORD > 1)) && prev2="\${COMP_WORDS[COMP_CWORD-2]}"
  local cmdpath
  cmdpath="$(__everynode_path "\${COMP_WORDS[@]:1:COMP_CWORD-1}")"
  __everynode_decide "$cmdpath" "$prev" "$prev2" "$cur"
  val="\${cur#"$prefix"}"
  [[ "$cur" == "=" ]] && val=""
  case "$kind" in
    choices|words) COMPREPLY=($(compgen -W "$list" -- "$val")) ;;
    files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$val")) ;;
    *) COMPREPLY=() ;;
  esac
  if [[ -n "$prefix" ]]; then COMPREPLY=("\${COMPREPLY[@]/#/$prefix}"); fi
}
complete -F _everynode everynode kubectl-everynode
`;
}

function zsh(specs: readonly CommandSpec[]): string {
  return `#compdef everynode kubectl-everynode
# everynode completion for zsh. Load it with:  source <(everynode completion zsh)
# or save it as _everynode in a directory of your $fpath.
${lookupFunctions(specs)}

${DECIDE}

_everynode() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" prev2="\${words[CURRENT-2]}"
  local kind list prefix cmdpath
  cmdpath="$(__everynode_path "\${(@)words[2,CURRENT-1]}")"
  __everynode_decide "$cmdpath" "$prev" "$prev2" "$cur"
  case "$kind" in
    choices|words) compadd -P "$prefix" -- \${=list} ;;
    files) _files ;;
  esac
}
compdef _everynode everynode kubectl-everynode
`;
}

function fish(specs: readonly CommandSpec[]): string {
  const lines = [
    '# everynode completion for fish. Load it with:  everynode completion fish | source',
    '# or install it:  everynode completion fish > ~/.config/fish/completions/everynode.fish',
    'function __everynode_path',
    '    set -l tokens (commandline -opc)',
    '    set -e tokens[1]',
    '    set -l cmdpath',
    '    set -l skip 0',
    '    for w in $tokens',
    '        if test $skip = 1',
    '            set skip 0',
    '            continue',
    '        end',
    "        if string match -q -- '-*' $w",
    "            if not string match -q -- '*=*' $w; and contains -- $w (__everynode_value_options (string join ' ' $cmdpath))",
    '                set skip 1',
    '            end',
    '            continue',
    '        end',
    "        if contains -- $w (__everynode_subcommands (string join ' ' $cmdpath))",
    '            set -a cmdpath $w',
    '        end',
    '    end',
    "    string join ' ' $cmdpath",
    'end',
    'function __everynode_at',
    '    test (__everynode_path) = "$argv[1]"',
    'end',
  ];
  const fn = (name: string, row: (s: CommandSpec) => readonly string[]): void => {
    lines.push(`function ${name}`, '    switch "$argv[1]"');
    for (const s of specs) {
      const r = row(s);
      if (r.length > 0)
        lines.push(`        case ${q(s.path)}`, `            printf '%s\\n' ${r.map(q).join(' ')}`);
    }
    lines.push('    end', 'end');
  };
  fn('__everynode_subcommands', (s) => s.subcommands.map((c) => c.name));
  fn('__everynode_value_options', (s) =>
    s.options.filter((o) => o.takesValue).flatMap((o) => o.names),
  );
  lines.push('complete -c everynode -f', 'complete -c kubectl-everynode -w everynode');
  for (const s of specs) {
    const at = `-n ${q(`__everynode_at ${q(s.path)}`)}`;
    for (const c of s.subcommands)
      lines.push(`complete -c everynode ${at} -a ${q(c.name)} -d ${q(c.description)}`);
    for (const o of s.options) {
      const spell = o.names
        .map((n) => (n.startsWith('--') ? `-l ${q(n.slice(2))}` : `-s ${q(n.slice(1))}`))
        .join(' ');
      const value =
        o.choices.length > 0
          ? `-x -a ${words(o.choices)}`
          : o.file
            ? '-r -F'
            : o.takesValue
              ? '-x'
              : '';
      lines.push(
        `complete -c everynode ${at} ${spell} ${value} -d ${q(o.description)}`.replace(/ +/g, ' '),
      );
    }
    if (s.fileArgs) lines.push(`complete -c everynode ${at} -F`);
    if (s.argChoices.length > 0)
      lines.push(`complete -c everynode ${at} -a ${words(s.argChoices)}`);
  }
  return lines.join('\n') + '\n';
}

/** The completion script for a shell, from the program's command tree. */
export function completionScript(program: Command, shell: string): string {
  const specs = commandSpecs(program);
  if (shell === 'bash') return bash(specs);
  if (shell === 'zsh') return zsh(specs);
  if (shell === 'fish') return fish(specs);
  throw new UsageError(`completion: unknown shell "${shell}"; expected bash, zsh or fish`);
}

/** Registers `everynode completion <shell>`. The program must have every command registered. */
export function registerCompletion(program: Command): void {
  program
    .command('completion')
    .summary('print a shell completion script (bash, zsh or fish)')
    .description(
      'Print a completion script for bash, zsh or fish, generated from the command tree.\n\n' +
        '  bash:  source <(everynode completion bash)\n' +
        '  zsh:   source <(everynode completion zsh)\n' +
        '  fish:  everynode completion fish | source\n\n' +
        'It completes `kubectl-everynode` (and so `kubectl everynode` in shells that complete kubectl plugins) too.',
    )
    .addArgument(
      new Command().createArgument('<shell>', 'bash, zsh or fish').choices(['bash', 'zsh', 'fish']),
    )
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell));
    });
}
