/**
 * Every command of CONTRACT §1.1 with its flags, argument rule (§2.13), help text and examples.
 * This is the one place they are written down: the parser, `--help`, shell completion and
 * docs/cli.md are generated from it. A command listed here is only reachable once its module is
 * registered in commands/index.ts.
 */
import type { CommandSpec, FlagSpec } from './spec.js';

const tagFilter: FlagSpec = { name: 'tag', kind: 'string', value: 'T', usage: 'Only snapshots carrying exactly this tag' };

const init: CommandSpec = {
  name: 'init',
  summary: 'Create a repository with its main worktree',
  description:
    'Create a JVS repository in a new directory <name> of the current directory (an existing directory is used\n' +
    'as is; "." makes the current directory the repository). Your files go into <name>/main, the main worktree.\n' +
    'An existing repository is never touched.',
  usage: '<name>',
  args: { exactly: 1 },
  examples: [
    { command: 'jvs init demo', comment: 'create ./demo with the main worktree ./demo/main' },
    { command: 'jvs init .', comment: 'make the current directory a repository' },
  ],
};

const info: CommandSpec = {
  name: 'info',
  summary: 'Show the repository: id, format, snapshot engine, counts',
  description:
    'Show the repository that contains the current directory: its root, id, format version, the snapshot engine\n' +
    'that would be used here (JVS_ENGINE and JVS_SNAPSHOT_ENGINE are honoured), and the numbers of worktrees\n' +
    'and snapshots. Works anywhere inside the repository.',
  args: { ignoredAfter: 0 },
  examples: [
    { command: 'jvs info', comment: 'show the repository you are in' },
    { command: 'jvs info --json', comment: 'the same as a JSON object' },
  ],
};

const status: CommandSpec = {
  name: 'status',
  summary: 'Show what changed in this worktree since its head snapshot',
  description:
    'List the files added, removed and modified in the current worktree since its head snapshot. Files whose\n' +
    'metadata matches the stat cache are not read; others only when their size matches. Nothing is written to your files.',
  args: { exactly: 0 },
  examples: [
    { command: 'jvs status', comment: 'what would the next snapshot capture?' },
    { command: 'jvs status --json', comment: 'the changes as JSON (clean: true when there are none)' },
  ],
};

const snapshot: CommandSpec = {
  name: 'snapshot',
  summary: 'Capture the current worktree as an immutable snapshot',
  description:
    'Capture the whole current worktree (or only --paths) as a new immutable snapshot, by copy-on-write where\n' +
    'the file system allows it. The note is the argument, or standard input with "-", or the file given\n' +
    'with -F. Refused in detached state: fork a worktree or restore HEAD first.',
  usage: '[note|-]',
  args: { atMost: 1 },
  flags: [
    { name: 'tag', kind: 'list', value: 'T', usage: 'Tag the snapshot (repeatable; comma-separated values)' },
    { name: 'paths', kind: 'list', value: 'P', usage: 'Capture only these paths of the worktree (repeatable; comma-separated)' },
    { name: 'compress', kind: 'string', value: 'LEVEL', usage: 'Compress file contents: none, fast, default or max (0, 1, 6, 9)' },
    { name: 'file', short: 'F', kind: 'string', value: 'PATH', usage: 'Read the note from a file' },
  ],
  examples: [
    { command: 'jvs snapshot "before refactor"', comment: 'snapshot with a note' },
    { command: 'jvs snapshot "baseline" --tag v1,stable', comment: 'snapshot with two tags' },
    { command: 'git log -1 --format=%B | jvs snapshot -', comment: 'take the note from standard input' },
    { command: 'jvs snapshot --paths data/raw "raw data only"', comment: 'partial snapshot of one directory' },
  ],
};

const history: CommandSpec = {
  name: 'history',
  summary: 'List snapshots, newest first',
  description:
    'List the snapshots of the current worktree, newest first, following each snapshot to its parent from the\n' +
    'head. With --all, list every snapshot of the repository (works anywhere inside it). One line per snapshot;\n' +
    'the head is marked "you are here".',
  args: { ignoredAfter: 0 },
  flags: [
    { name: 'limit', short: 'n', kind: 'int', value: 'N', usage: 'Show at most N snapshots (0 = no limit)' },
    { name: 'grep', short: 'g', kind: 'string', value: 'S', usage: 'Only snapshots whose note contains S (case-sensitive)' },
    tagFilter,
    { name: 'all', kind: 'bool', usage: 'Every snapshot of the repository, not only this worktree’s lineage' },
  ],
  examples: [
    { command: 'jvs history -n 10', comment: 'the ten most recent snapshots' },
    { command: 'jvs history --tag stable', comment: 'snapshots tagged stable' },
    { command: 'jvs history --all --json', comment: 'every snapshot of the repository as JSON' },
  ],
};

const diff: CommandSpec = {
  name: 'diff',
  summary: 'Compare two snapshots, or a snapshot with the worktree',
  description:
    'Compare snapshots: without arguments the two newest of the repository; with one, that snapshot and the\n' +
    'current worktree as it is now; with two, <from> and <to>. Regular files and symlinks are compared by\n' +
    'content. A ref is HEAD, a tag, or the start of an id or note.',
  usage: '[<from> [<to>]]',
  args: { atMost: 2, tooMany: 'too many arguments' },
  flags: [{ name: 'stat', kind: 'bool', usage: 'Print only the counts of added, removed and modified files' }],
  examples: [
    { command: 'jvs diff', comment: 'what changed between the two newest snapshots' },
    { command: 'jvs diff HEAD', comment: 'what changed in the worktree since its head' },
    { command: 'jvs diff v1 v2 --stat', comment: 'counts only, between the snapshots tagged v1 and v2' },
  ],
};

const restore: CommandSpec = {
  name: 'restore',
  summary: 'Put a snapshot back into the current worktree',
  description:
    'Make the current worktree equal to a snapshot, changing only the files that differ. Unsnapshotted changes\n' +
    'are first saved as a safety snapshot unless --discard is given. Restoring an older snapshot leaves the\n' +
    'worktree detached; "jvs restore HEAD" returns to the latest one. Paths after "--" restore only those\n' +
    'files and leave the head as it is.',
  usage: '<ref>|HEAD [-- <path>...]',
  args: { exactly: 1, pathsAfterDash: true },
  flags: [
    { name: 'interactive', short: 'i', kind: 'bool', usage: 'Choose among matching snapshots and confirm' },
    { name: 'discard', kind: 'bool', usage: 'Do not save unsnapshotted changes first' },
  ],
  examples: [
    { command: 'jvs restore 1760000000000-0a1b2c3d', comment: 'restore a snapshot by id' },
    { command: 'jvs restore "before refactor"', comment: 'restore the snapshot whose note starts with this' },
    { command: 'jvs restore HEAD', comment: 'return to the latest snapshot' },
    { command: 'jvs restore v1 -- config.yaml', comment: 'restore one file from the snapshot tagged v1' },
  ],
};

const ls: CommandSpec = {
  name: 'ls',
  summary: 'List the files of a snapshot',
  description:
    'List the entries of a directory inside a snapshot (default: its root), or the entry itself when <path> is\n' +
    'a file, without restoring anything.',
  usage: '<ref> [<path>]',
  args: { between: [1, 2] },
  examples: [
    { command: 'jvs ls HEAD', comment: 'the top level of the head snapshot' },
    { command: 'jvs ls v1 data/', comment: 'one directory of the snapshot tagged v1' },
  ],
};

const cat: CommandSpec = {
  name: 'cat',
  summary: 'Print a file of a snapshot',
  description: 'Write the bytes of one file of a snapshot to standard output, unchanged, without restoring anything.',
  usage: '<ref> <path>',
  args: { exactly: 2 },
  examples: [{ command: 'jvs cat v1 config.yaml > old-config.yaml', comment: 'recover one file’s old content' }],
};

const worktree: CommandSpec = {
  name: 'worktree',
  aliases: ['wt'],
  summary: 'Manage worktrees (parallel workspaces)',
  description:
    'Worktrees are parallel workspaces of one repository: "main" and any number of named ones under\n' +
    'worktrees/<name>. Each has its own head snapshot.',
  examples: [
    { command: 'jvs worktree list', comment: 'all worktrees and their heads' },
    { command: 'jvs wt fork v1 experiment', comment: 'open a new worktree from the snapshot tagged v1' },
  ],
  children: [
    {
      name: 'create',
      summary: 'Create a worktree, empty or from a snapshot',
      description:
        'Create the worktree <name>: an empty directory, or with --from a copy of a snapshot (its head stays unset\n' +
        'until the first snapshot).',
      usage: '<name>',
      args: { exactly: 1 },
      flags: [{ name: 'from', kind: 'string', value: 'REF', usage: 'Fill the worktree from this snapshot' }],
      examples: [
        { command: 'jvs worktree create scratch', comment: 'a new empty worktree' },
        { command: 'jvs worktree create review --from v1', comment: 'a worktree holding the snapshot tagged v1' },
      ],
    },
    {
      name: 'list',
      summary: 'List worktrees and their head snapshots',
      description: 'List every worktree, sorted by name, with its head snapshot.',
      args: { ignoredAfter: 0 },
      examples: [{ command: 'jvs worktree list --json', comment: 'the worktree configurations as JSON' }],
    },
    {
      name: 'path',
      summary: 'Print the directory of a worktree',
      description: 'Print the directory of the worktree <name>, or of the current worktree without a name.',
      usage: '[<name>]',
      args: { atMost: 1 },
      examples: [{ command: 'cd "$(jvs worktree path experiment)"', comment: 'go to a worktree' }],
    },
    {
      name: 'rename',
      summary: 'Rename a worktree',
      description: 'Rename the worktree <old> to <new>, moving its directory. The main worktree cannot be renamed.',
      usage: '<old> <new>',
      args: { exactly: 2 },
      examples: [{ command: 'jvs worktree rename scratch experiment', comment: 'rename a worktree' }],
    },
    {
      name: 'remove',
      summary: 'Delete a worktree (its snapshots stay)',
      description:
        'Delete the worktree <name>: its directory, including unsnapshotted work, and its configuration. Its\n' +
        'snapshots stay. A detached worktree needs --force. The main worktree cannot be removed.',
      usage: '<name>',
      args: { exactly: 1 },
      flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Remove even when the worktree is detached' }],
      examples: [{ command: 'jvs worktree remove scratch', comment: 'delete a worktree' }],
    },
    {
      name: 'fork',
      summary: 'Open a new worktree from a snapshot',
      description:
        'Create a new worktree from a snapshot (default: the current head) and make it the new worktree’s head,\n' +
        'so you can keep working from there. The name defaults to fork-<short id>. With one argument, it is a\n' +
        'snapshot if it names one, otherwise the new worktree’s name.',
      usage: '[<ref>] [<name>]',
      args: { atMost: 2 },
      examples: [
        { command: 'jvs worktree fork', comment: 'fork the current head as fork-<short id>' },
        { command: 'jvs worktree fork 1760000000 hotfix', comment: 'fork a snapshot into the worktree "hotfix"' },
      ],
    },
  ],
};

const verify: CommandSpec = {
  name: 'verify',
  summary: 'Check snapshots against their checksums and content hashes',
  description:
    'Check every snapshot (or the one <snapshot-id>): its descriptor checksum and the SHA-256 hash of its\n' +
    'content, and for all snapshots also their lineage and the audit chain. Exits 1 when anything is wrong.',
  usage: '[<snapshot-id>]',
  args: { atMost: 1 },
  flags: [
    { name: 'all', kind: 'bool', usage: 'Check every snapshot (the default without an id)' },
    { name: 'quick', kind: 'bool', usage: 'Check descriptor checksums only, without hashing content' },
  ],
  examples: [
    { command: 'jvs verify', comment: 'check the whole repository' },
    { command: 'jvs verify 1760000000000-0a1b2c3d', comment: 'check one snapshot' },
    { command: 'jvs verify --quick --json', comment: 'fast checksum-only check as JSON' },
  ],
};

const doctor: CommandSpec = {
  name: 'doctor',
  summary: 'Find and repair repository problems',
  description:
    'Check the repository for leftovers of interrupted work, broken lineage, audit chain problems and stale\n' +
    'locks, and repair them on request. Exits 1 when a critical finding remains.',
  args: { ignoredAfter: 0 },
  flags: [
    { name: 'strict', kind: 'bool', usage: 'Also verify every snapshot’s content hash' },
    { name: 'repair-runtime', kind: 'bool', usage: 'Run every safe repair, then check' },
    { name: 'repair', kind: 'list', value: 'ID', usage: 'Run these repair actions (repeatable; comma-separated)' },
    { name: 'repair-list', kind: 'bool', usage: 'List the available repair actions' },
  ],
  examples: [
    { command: 'jvs doctor', comment: 'check the repository' },
    { command: 'jvs doctor --repair-runtime', comment: 'clean up after a crash' },
    { command: 'jvs doctor --repair-list', comment: 'what can be repaired' },
  ],
};

const gc: CommandSpec = {
  name: 'gc',
  summary: 'Delete unneeded snapshots in two steps: plan, then run',
  description:
    'Garbage collection: "gc plan" lists the snapshots that can go (heads, their ancestors, pins and the\n' +
    'retention policy are protected); "gc run" deletes exactly that plan.',
  examples: [
    { command: 'jvs gc plan --keep-last 20', comment: 'plan, keeping the 20 newest snapshots' },
    { command: 'jvs gc run --plan-id <plan-id>', comment: 'carry the plan out' },
  ],
  children: [
    {
      name: 'plan',
      summary: 'Plan which snapshots to delete',
      description: 'Compute and save a deletion plan; nothing is deleted. Prints the plan id for "jvs gc run".',
      args: { ignoredAfter: 0 },
      flags: [
        { name: 'keep-last', kind: 'int', value: 'N', usage: 'Keep the N newest snapshots' },
        { name: 'keep-within', kind: 'string', value: 'DURATION', usage: 'Keep snapshots newer than this (90m, 36h, 7d, 2w)' },
        { name: 'keep-tag', kind: 'list', value: 'T', usage: 'Keep snapshots with this tag (repeatable; comma-separated)' },
      ],
      examples: [{ command: 'jvs gc plan --keep-within 7d --keep-tag release', comment: 'keep a week and every release' }],
    },
    {
      name: 'run',
      summary: 'Delete the snapshots of a plan',
      description: 'Delete the snapshots of a saved plan, after checking that none became protected since.',
      args: { ignoredAfter: 0 },
      flags: [{ name: 'plan-id', kind: 'string', value: 'ID', usage: 'The plan to run (required)' }],
      examples: [{ command: 'jvs gc run --plan-id 0b6e…', comment: 'run a plan made by "jvs gc plan"' }],
    },
  ],
};

const pin: CommandSpec = {
  name: 'pin',
  summary: 'Protect snapshots from garbage collection',
  description: 'A pinned snapshot is never deleted by gc (until the pin expires).',
  examples: [{ command: 'jvs pin add v1 --reason "paper results"', comment: 'keep the snapshot tagged v1' }],
  children: [
    {
      name: 'add',
      summary: 'Pin a snapshot',
      description: 'Pin a snapshot so that gc keeps it; an existing pin of the same snapshot is replaced.',
      usage: '<ref>',
      args: { exactly: 1 },
      flags: [
        { name: 'reason', kind: 'string', value: 'R', usage: 'Why the snapshot is pinned' },
        { name: 'expires', kind: 'string', value: 'DURATION', usage: 'Let the pin lapse after this long (36h, 30d, 2w)' },
      ],
      examples: [{ command: 'jvs pin add 1760000000 --expires 30d', comment: 'pin for a month' }],
    },
    {
      name: 'list',
      summary: 'List pins',
      description: 'List every pin with its time, expiry and reason.',
      args: { exactly: 0 },
      examples: [{ command: 'jvs pin list', comment: 'all pins' }],
    },
    {
      name: 'remove',
      summary: 'Unpin a snapshot',
      description: 'Remove every pin of a snapshot.',
      usage: '<ref>',
      args: { exactly: 1 },
      examples: [{ command: 'jvs pin remove v1', comment: 'let gc consider the snapshot tagged v1 again' }],
    },
  ],
};

const config: CommandSpec = {
  name: 'config',
  summary: 'Show or change the repository configuration',
  description: 'Read and write .jvs/config.yaml: default_engine, default_tags, output_format, progress_enabled.',
  examples: [{ command: 'jvs config set default_tags \'["auto"]\'', comment: 'tag every snapshot "auto"' }],
  children: [
    {
      name: 'show',
      summary: 'Show the whole configuration',
      description: 'Show every configuration key and its value.',
      args: { ignoredAfter: 0 },
      examples: [{ command: 'jvs config show', comment: 'the configuration' }],
    },
    {
      name: 'get',
      summary: 'Print one configuration value',
      description: 'Print the value of one key: default_engine, default_tags, output_format or progress_enabled.',
      usage: '<key>',
      args: { exactly: 1 },
      examples: [{ command: 'jvs config get default_engine', comment: 'the configured engine' }],
    },
    {
      name: 'set',
      summary: 'Set one configuration value',
      description: 'Set one key. default_tags takes a YAML list; progress_enabled takes true or false.',
      usage: '<key> <value>',
      args: { exactly: 2 },
      examples: [{ command: 'jvs config set default_engine copy', comment: 'always copy, never clone' }],
    },
  ],
};

/** The shells `jvs completion` writes scripts for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish', 'powershell'] as const;

const completion: CommandSpec = {
  name: 'completion',
  summary: 'Print a shell completion script',
  description: `Print a completion script for ${COMPLETION_SHELLS.join(', ')}. Load it in your shell’s startup file.`,
  usage: COMPLETION_SHELLS.join('|'),
  args: { exactly: 1 },
  argChoices: COMPLETION_SHELLS,
  examples: [
    { command: 'source <(jvs completion bash)', comment: 'bash: add to ~/.bashrc' },
    { command: 'source <(jvs completion zsh)', comment: 'zsh: add to ~/.zshrc' },
    { command: 'jvs completion fish > ~/.config/fish/completions/jvs.fish', comment: 'fish' },
    { command: 'jvs completion powershell | Out-String | Invoke-Expression', comment: 'PowerShell: add to $PROFILE' },
  ],
};

const version: CommandSpec = {
  name: 'version',
  summary: 'Print the version',
  description: 'Print the version of jvs (the same as "jvs --version").',
  args: { exactly: 0 },
  examples: [{ command: 'jvs version --json', comment: 'the version as JSON' }],
};

const help: CommandSpec = {
  name: 'help',
  summary: 'Show help for a command',
  description: 'Show help for any command (the same as "jvs <command> --help").',
  usage: '[command]',
  args: { any: true },
  examples: [{ command: 'jvs help worktree fork', comment: 'help for "jvs worktree fork"' }],
};

export const ROOT: CommandSpec = {
  name: 'jvs',
  summary: 'Versioned workspaces',
  description:
    'JVS versions whole directory trees: snapshots are complete, immutable copies made by copy-on-write where\n' +
    'the file system allows it, restorable in place, with a SHA-256 proof of their content.',
  examples: [
    { command: 'jvs init demo && cd demo/main', comment: 'create a repository and enter its main worktree' },
    { command: 'jvs snapshot "first version"', comment: 'capture the worktree' },
    { command: 'jvs history', comment: 'list snapshots' },
  ],
  children: [init, info, status, snapshot, history, diff, restore, ls, cat, worktree, verify, doctor, gc, pin, config, completion, version, help],
};
